// `/b/{id}` (SPEC §9): board `id`, the same page as `/` (which is `main`). The page reads the board
// from its address (lib/client/boards.ts boardFromLocation); rendered per request, its inline
// scripts carry the request's CSP nonce (server/csp.ts).
export { default } from "../../page";
