import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./styles.css";
import { startupMark } from "./lib/startup";

// Start-up timeline marks, read by scripts/bench-desktop.mjs.
startupMark("js");

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
