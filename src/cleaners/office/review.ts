import type { KeepOption } from "../types.js";

/**
 * Review content removed from one document, under the contract's keys of `removed`. Each
 * cleaning call makes its own (cleaners keep no state between files).
 */
export interface ReviewCounts {
  comments: number;
  trackedChanges: number;
}

export function newReviewCounts(): ReviewCounts {
  return { comments: 0, trackedChanges: 0 };
}

/** What goes: comments and tracked changes unless the client asked to keep them. */
export interface ReviewPolicy {
  dropComments: boolean;
  dropChanges: boolean;
}

export function reviewPolicy(keep: ReadonlySet<KeepOption>): ReviewPolicy {
  return { dropComments: !keep.has("comments"), dropChanges: !keep.has("trackedChanges") };
}
