// `/stats`: the stats page of board `main` (issue 14). Static: the data is read in the browser.

import type { Metadata } from "next";
import { BoardStats } from "@/components/BoardStats";

export const metadata: Metadata = { title: "Stats · Tessera" };

export default function MainStatsPage() {
  return <BoardStats board="main" />;
}
