import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../contracts/pagination';
import { AppError } from '../errors';
import { DEFAULT_PAGE_LIMIT, cutPage, keysetQuery, mapPage } from './keyset';

const row = (i: number) => ({ id: `r${i}`, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 100 - i)) });

describe('keyset paging', () => {
  it('cuts limit + 1 rows to the page and points the cursor at its last row', () => {
    const rows = [row(1), row(2), row(3)];
    const page = cutPage(rows, 2);
    expect(page.data.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(page.next_cursor).toBe(encodeCursor(rows[1].createdAt, 'r2'));
    expect(decodeCursor(page.next_cursor!)).toEqual({ createdAt: rows[1].createdAt, id: 'r2' });
  });

  it('has no next cursor on the last page, full or not', () => {
    expect(cutPage([row(1), row(2)], 2).next_cursor).toBeNull();
    expect(cutPage([row(1)], 2).next_cursor).toBeNull();
    expect(cutPage([], 2)).toEqual({ data: [], next_cursor: null });
  });

  it('maps the rows and keeps the cursor', () => {
    const page = mapPage(cutPage([row(1), row(2)], 1), (r) => r.id.toUpperCase());
    expect(page.data).toEqual(['R1']);
    expect(page.next_cursor).not.toBeNull();
  });

  describe('the query', () => {
    const ds = new DataSource({ type: 'postgres' });
    const base = () =>
      ds
        .createQueryBuilder()
        .select('t.id')
        .from('some_table', 't')
        .where('t.account_id = :a', { a: 'acct' });

    it('orders newest first, fetches one row more than the page, defaults to 50', () => {
      const [sql] = keysetQuery(base(), 't', {}).getQueryAndParameters();
      expect(sql).toContain('ORDER BY t.created_at DESC, t.id DESC');
      expect(sql).toContain(`LIMIT ${DEFAULT_PAGE_LIMIT + 1}`);
      expect(sql).not.toContain('<');
      const [sql10] = keysetQuery(base(), 't', { limit: 10 }).getQueryAndParameters();
      expect(sql10).toContain('LIMIT 11');
    });

    it("continues strictly after the cursor, keeping the caller's filters", () => {
      const at = new Date('2026-01-01T00:00:00.000Z');
      const [sql, params] = keysetQuery(
        base(),
        't',
        { cursor: encodeCursor(at, 'r9'), limit: 5 },
        { createdAt: 'made_at' },
      ).getQueryAndParameters();
      expect(sql).toContain('t.account_id = $1');
      expect(sql).toContain('(t.made_at, t.id) < ($2, $3)');
      expect(sql).toContain('ORDER BY t.made_at DESC, t.id DESC');
      expect(params).toEqual(['acct', at, 'r9']);
    });

    it('refuses a cursor this API did not return', () => {
      expect(() => keysetQuery(base(), 't', { cursor: 'garbage' })).toThrow(AppError);
    });
  });
});
