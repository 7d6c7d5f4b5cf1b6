// Scenario 9 splits the replicas' CPU between what a placement costs (commit, ack, Redis, decoding
// other replicas' messages) and what a socket write costs (a PIXELS frame to one client): each step
// gives one equation, CPU seconds = placements × a + writes × b, and the steps are chosen so that
// their ratios of writes to placements differ widely (placers alone, the fan-out step, a slow step).

/** Least squares of y = p·a + w·b over the points; null when the points cannot tell a from b. */
export function fitTwo(points: ReadonlyArray<{ p: number; w: number; y: number }>): { a: number; b: number } | null {
  let pp = 0;
  let pw = 0;
  let ww = 0;
  let py = 0;
  let wy = 0;
  for (const { p, w, y } of points) {
    pp += p * p;
    pw += p * w;
    ww += w * w;
    py += p * y;
    wy += w * y;
  }
  const det = pp * ww - pw * pw;
  // Collinear points (every step with the same writes per placement) leave a and b undetermined.
  if (!(Math.abs(det) > 1e-9 * pp * ww)) return null;
  return { a: (py * ww - wy * pw) / det, b: (wy * pp - py * pw) / det };
}
