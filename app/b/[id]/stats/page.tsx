// `/b/{id}/stats`: one board's stats page (issue 14); the data is read in the browser.

import type { Metadata } from "next";
import { BoardStats } from "@/components/BoardStats";

export const metadata: Metadata = { title: "Stats · Tessera" };

export default async function BoardStatsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <BoardStats board={id} />;
}
