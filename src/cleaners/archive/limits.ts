import { TooComplexError } from "../errors.js";
import { INNER_LIMITS } from "../inner-budget.js";

/**
 * An archive's own budget, within the request's inner-file budget (which counts the members
 * cleaned): no more members, folders included, than the inner files a request may clean, so that
 * an archive over it is refused before anything is unpacked; and half the inner bytes, counted as
 * they come out of the decompressor, never taken from headers, so that a bomb is stopped after at
 * most this much written to the work folder.
 */
export interface ArchiveLimits {
  maxMembers: number;
  maxTotalBytes: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = { maxMembers: INNER_LIMITS.maxFiles, maxTotalBytes: INNER_LIMITS.maxBytes / 2 };

/** Counts members and unpacked bytes of one archive; throws TooComplexError past the limits. */
export class ArchiveBudget {
  private members = 0;
  private bytes = 0;
  private stream = 0;

  constructor(private readonly limits: ArchiveLimits = ARCHIVE_LIMITS) {}

  member(): void {
    this.members += 1;
    if (this.members > this.limits.maxMembers) throw new TooComplexError("the archive holds too many members");
  }

  /** Throws at once when an archive's own count of members is over the limit. */
  claimMembers(count: number): void {
    if (count > this.limits.maxMembers) throw new TooComplexError("the archive holds too many members");
  }

  /** Throws at once for a header's claim over the budget (a claim under it is not trusted). */
  claim(size: number): void {
    if (this.bytes + size > this.limits.maxTotalBytes) throw new TooComplexError("the archive unpacks to more data than allowed");
  }

  add(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) throw new TooComplexError("the archive unpacks to more data than allowed");
  }

  /**
   * Bytes of a decompressed stream holding the archive (tar inside gzip): members plus their
   * headers, not zeros without end after the archive.
   */
  unpacked(n: number): void {
    this.stream += n;
    const headers = (this.limits.maxMembers + 2) * 3 * 512;
    if (this.stream > this.limits.maxTotalBytes + headers) throw new TooComplexError("the archive unpacks to more data than allowed");
  }
}
