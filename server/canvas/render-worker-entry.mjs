// Entry of the render worker thread: workers do not inherit the parent's module loader, so tsx is
// registered here before the TypeScript worker module loads.
import { register } from "tsx/esm/api";

register();
await import("./render-worker.ts");
