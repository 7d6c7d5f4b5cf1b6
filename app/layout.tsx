import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tessera",
  description: "One shared pixel canvas: pick a colour, place a pixel, see everyone else's live.",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: "#15171c",
  colorScheme: "dark light",
};

// Starts the session check and the board snapshot download while the page's scripts are still
// loading, so the board appears as soon as the app is up (lib/client/api.ts takePrefetched picks
// them up, once, while fresh; the session URL is lib/client/api.ts SESSION_PATH).
const PREFETCH = `try{if(window.fetch&&location.pathname==="/"){var o={credentials:"same-origin",cache:"no-store"},t=Date.now(),f=function(u){var r=fetch(u,o);r.catch(function(){});return{at:t,res:r}};window.__tesseraPrefetch={"/api/session?optional=1":f("/api/session?optional=1"),"/api/canvas":f("/api/canvas")}}}catch(e){}`;

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
