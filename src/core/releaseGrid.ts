// Arithmetic of the drift-free release grid: release k is at t0Ms + k * periodMs, never chained.
import type { ReleaseGrid } from './processModel.js';

export function startGrid(t0Ms: number, periodMs: number): ReleaseGrid {
  // Release 0 happens at START itself, so the first one left to handle is release 1.
  return { t0Ms, periodMs, nextReleaseAtMs: t0Ms + periodMs };
}

/** The latest release point at or before nowMs (never before t0). */
export function lastPointAtOrBefore(grid: ReleaseGrid, nowMs: number): number {
  const k = Math.max(0, Math.floor((nowMs - grid.t0Ms) / grid.periodMs));
  return grid.t0Ms + k * grid.periodMs;
}

/** How many release points lie in [grid.nextReleaseAtMs, nowMs]. */
export function pointsDueBy(grid: ReleaseGrid, nowMs: number): number {
  if (nowMs < grid.nextReleaseAtMs) return 0;
  return Math.round((lastPointAtOrBefore(grid, nowMs) - grid.nextReleaseAtMs) / grid.periodMs) + 1;
}

/** The grid moved past nowMs: its next point is the first one strictly after nowMs. */
export function advancePast(grid: ReleaseGrid, nowMs: number): ReleaseGrid {
  if (nowMs < grid.nextReleaseAtMs) return grid;
  return { ...grid, nextReleaseAtMs: lastPointAtOrBefore(grid, nowMs) + grid.periodMs };
}

/**
 * The grid once the release at releaseAtMs has been handled elsewhere (by the launcher): its next
 * point is the one after it, and never earlier than it was. The point's index is rounded, so a
 * time read back from another clock's arithmetic still names the same point.
 */
export function pastRelease(grid: ReleaseGrid, releaseAtMs: number): ReleaseGrid {
  const index = Math.round((releaseAtMs - grid.t0Ms) / grid.periodMs);
  const next = grid.t0Ms + (index + 1) * grid.periodMs;
  return next > grid.nextReleaseAtMs ? { ...grid, nextReleaseAtMs: next } : grid;
}
