import { useEffect, useRef } from "react";
import { shell } from "../api/shell";
import type { CoreEvent } from "../tim/types";

// One Tauri listener for core events, fanned out to the components that care.
const handlers = new Set<(e: CoreEvent) => void>();
let started: Promise<unknown> | null = null;

/** Start listening (before logging in, so that messages delivered during login are seen). */
export function startEvents(): Promise<unknown> {
  started ??= shell.onEvent((e) => handlers.forEach((h) => h(e)));
  return started;
}

export function useCoreEvents(handler: (e: CoreEvent) => void) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const f = (e: CoreEvent) => ref.current(e);
    handlers.add(f);
    return () => {
      handlers.delete(f);
    };
  }, []);
}
