import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";

// No default title: each page renders its own <title> (React puts it in <head>), which a layout
// title would come before and win over — the board page's title follows the board and the countdown.
export const metadata: Metadata = {
  description: "One shared pixel canvas: pick a colour, place a pixel, see everyone else's live.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: "#15171c",
  colorScheme: "dark light",
};

// Runs before any bundle. On a board page (`/` is main, `/b/{id}` board id) it starts the session
// check, the board's description and its snapshot download while the page's scripts are still
// loading, so the board appears as soon as the app is up (lib/client/api.ts takePrefetched picks
// them up by URL, once, while fresh; the session URL is api.ts SESSION_PATH, the board URLs
// api.ts boardPath). Its hash is in the CSP (server/csp.ts reads the build's prerendered pages).
const PREFETCH = `try{var p=location.pathname,b=p==="/"?"main":null,m;if((m=p.split("/")).length<5&&m[1]==="b"&&m[2]&&!m[3])b=decodeURIComponent(m[2]);if(window.fetch&&b&&/^[a-z0-9][a-z0-9-]{0,31}$/.test(b)){var o={credentials:"same-origin",cache:"no-store"},t=Date.now(),f=function(u){var r=fetch(u,o);r.catch(function(){});return{at:t,res:r}},a="/api/boards/"+b,w=window.__tesseraPrefetch={};w["/api/session?optional=1"]=f("/api/session?optional=1");w[a]=f(a);w[a+"/canvas"]=f(a+"/canvas")}}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <script dangerouslySetInnerHTML={{ __html: PREFETCH }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
