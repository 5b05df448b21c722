/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Tauri shell loads dist/ (custom-protocol builds) or this dev server on 5173.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  // The contrast test reads styles.css as text (`?raw`), so CSS is not stubbed out in tests.
  test: { include: ["src/**/*.test.ts"], css: { include: [/styles\.css/] } },
});
