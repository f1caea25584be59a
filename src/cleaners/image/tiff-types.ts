/** Bytes per value of each TIFF field type (1 BYTE ... 13 IFD; BigTIFF's 16 LONG8, 17 SLONG8, 18 IFD8): the types there are. */
export const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
