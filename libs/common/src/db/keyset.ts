import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Page, decodeCursor, encodeCursor } from '../contracts/pagination';

/** Page size when the client gives none (PageQuery caps it at 200). */
export const DEFAULT_PAGE_LIMIT = 50;

/** What a keyset page is ordered by: newest first, id breaking ties. */
export interface KeysetKey {
  createdAt: Date;
  id: string;
}

export interface KeysetRequest {
  cursor?: string;
  limit?: number;
}

export interface KeysetColumns {
  /** Column of the creation time; default `created_at`. */
  createdAt?: string;
  /** Column of the id; default `id`. */
  id?: string;
}

/**
 * Newest-first keyset paging over (created_at, id), the one way every list
 * endpoint pages: add filters to `qb`, then
 *
 *   const page = await keysetPage(qb, 'n', cmd);   // Page<PhoneNumber>
 *   return mapPage(page, toPhoneNumberDto);
 *
 * The query continues after the cursor and fetches one row more than the
 * page, which tells whether a next page exists without a count. An index on
 * (account, created_at, id) makes every page a range scan however deep.
 * A cursor this API did not return is `400 invalid_cursor`.
 */
export async function keysetPage<T extends ObjectLiteral & KeysetKey>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  req: KeysetRequest,
  columns: KeysetColumns = {},
): Promise<Page<T>> {
  const limit = req.limit ?? DEFAULT_PAGE_LIMIT;
  return cutPage(await keysetQuery(qb, alias, req, columns).getMany(), limit);
}

/** Adds the order, the cursor condition and `limit + 1` to `qb`. */
export function keysetQuery<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  req: KeysetRequest,
  columns: KeysetColumns = {},
): SelectQueryBuilder<T> {
  const createdAt = `${alias}.${columns.createdAt ?? 'created_at'}`;
  const id = `${alias}.${columns.id ?? 'id'}`;
  qb.orderBy(createdAt, 'DESC')
    .addOrderBy(id, 'DESC')
    .limit((req.limit ?? DEFAULT_PAGE_LIMIT) + 1);
  if (req.cursor) {
    const c = decodeCursor(req.cursor);
    qb.andWhere(`(${createdAt}, ${id}) < (:keysetAt, :keysetId)`, { keysetAt: c.createdAt, keysetId: c.id });
  }
  return qb;
}

/** Rows fetched with `limit + 1` cut to the page, with the cursor of the next one when there is one. */
export function cutPage<T extends KeysetKey>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data,
    next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

export function mapPage<T, U>(page: Page<T>, map: (row: T) => U): Page<U> {
  return { data: page.data.map(map), next_cursor: page.next_cursor };
}
