import { UsageTally } from '../agent/usage';
import { budgetMonth } from './token-budget';

describe('budgetMonth', () => {
  it('bounds the UTC calendar month of an instant, across a year end', () => {
    expect(budgetMonth(new Date('2026-12-31T23:59:59.999Z'))).toEqual({
      month: '2026-12',
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(budgetMonth(new Date('2027-01-01T00:00:00Z')).month).toBe('2027-01');
  });
});

describe('UsageTally', () => {
  it('sums the calls of one reply under the last model, and is empty until one reports', () => {
    const t = new UsageTally();
    expect(t.empty).toBe(true);
    t.add({ model: 'a', prompt_tokens: 100, completion_tokens: 7 });
    t.add({ model: 'b', prompt_tokens: 130, completion_tokens: 12 });
    expect([t.model, t.promptTokens, t.completionTokens, t.total, t.empty]).toEqual([
      'b',
      230,
      19,
      249,
      false,
    ]);
  });
});
