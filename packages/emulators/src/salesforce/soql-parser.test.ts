import { describe, expect, it } from 'vitest';
import { SalesforceError } from './errors.ts';
import { dateLiteralRange } from './soql-executor.ts';
import { parseSoql } from './soql-parser.ts';

const failure = (soql: string): SalesforceError => {
  try {
    parseSoql(soql);
  } catch (err) {
    if (err instanceof SalesforceError) return err;
    throw err;
  }
  throw new Error(`parsed: ${soql}`);
};

describe('parseSoql', () => {
  it('parses fields, relationship paths, conditions, order, limit and offset', () => {
    const q = parseSoql(
      "select Id, Account.Name FROM Opportunity WHERE (StageName = 'Closed Won' OR Amount >= -5.5) AND NOT Name LIKE 'a\\'b%' AND CloseDate > LAST_N_DAYS:30 AND Id NOT IN ('x') ORDER BY CloseDate DESC NULLS FIRST, Name LIMIT 5 OFFSET 10",
    );
    expect(q.object).toBe('Opportunity');
    expect(q.fields).toEqual([['Id'], ['Account', 'Name']]);
    expect(q.orderBy).toEqual([
      { field: ['CloseDate'], descending: true, nullsFirst: true },
      { field: ['Name'], descending: false, nullsFirst: true },
    ]);
    expect(q.limit).toBe(5);
    expect(q.offset).toBe(10);
    expect(q.where).toMatchObject({
      kind: 'and',
      items: [
        {
          kind: 'or',
          items: [
            { kind: 'compare', op: '=' },
            { kind: 'compare', value: { kind: 'number', value: -5.5 } },
          ],
        },
        { kind: 'not', item: { kind: 'like', pattern: "a'b%" } },
        { kind: 'compare', op: '>', value: { kind: 'dateLiteral', name: 'LAST_N_DAYS', n: 30 } },
        { kind: 'in', negate: true },
      ],
    });
  });

  it('reads date and date-time literals', () => {
    const q = parseSoql(
      'SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T00:00:00Z AND CloseDate__c = 2026-02-03',
    );
    expect(q.where).toMatchObject({
      items: [
        { value: { kind: 'datetime', ms: Date.UTC(2026, 0, 1) } },
        { value: { kind: 'date', value: '2026-02-03' } },
      ],
    });
  });

  it('parses COUNT()', () => {
    expect(parseSoql('SELECT COUNT() FROM Contact').fields).toBe('count');
  });

  it('parses parent-to-child subqueries with their position in the SELECT list', () => {
    const q = parseSoql(
      "SELECT Id, (SELECT Id, Product2.Name FROM OpportunityLineItems WHERE Quantity > 1 ORDER BY CreatedDate, Id LIMIT 5), Name FROM Opportunity WHERE Id = '006000000000001'",
    );
    expect(q.fields).toEqual([['Id'], ['Name']]);
    expect(q.subqueries).toEqual([
      {
        object: 'OpportunityLineItems',
        position: 1,
        fields: [['Id'], ['Product2', 'Name']],
        subqueries: [],
        where: {
          kind: 'compare',
          field: ['Quantity'],
          op: '>',
          value: { kind: 'number', value: 1 },
        },
        orderBy: [
          { field: ['CreatedDate'], descending: false, nullsFirst: true },
          { field: ['Id'], descending: false, nullsFirst: true },
        ],
        limit: 5,
      },
    ]);
    expect(failure('SELECT Id, (SELECT Id FROM Contacts FROM Account').errorCode).toBe(
      'MALFORMED_QUERY',
    );
  });

  it('refuses AND and OR mixed without parentheses, as SOQL does', () => {
    expect(
      failure("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'").errorCode,
    ).toBe('MALFORMED_QUERY');
  });

  it('names what is unsupported', () => {
    expect(failure('SELECT Name, COUNT(Id) FROM Account GROUP BY Name').message).toMatch(
      /aggregate/,
    );
    expect(failure('SELECT Name FROM Account GROUP BY Name').message).toMatch(/GROUP BY/);
    expect(
      failure('SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account').message,
    ).toMatch(/subquery inside a subquery/);
    expect(
      failure('SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account)').message,
    ).toMatch(/semi-join/);
    expect(failure('SELECT Account.Owner.Name FROM Contact').message).toMatch(
      /more than one level/,
    );
    expect(failure('SELECT FIELDS(ALL) FROM Account').message).toMatch(/FIELDS\(\)/);
    expect(failure('SELECT Id FROM Account FOR UPDATE').message).toMatch(/FOR UPDATE/);
  });

  it('reports malformed queries', () => {
    expect(failure('SELECT FROM Account').errorCode).toBe('MALFORMED_QUERY');
    expect(failure("SELECT Id FROM Account WHERE Name = 'x").message).toMatch(/unterminated/);
    expect(failure('SELECT Id, Id FROM Account').message).toMatch(/duplicate field/);
  });
});

describe('dateLiteralRange', () => {
  const now = Date.UTC(2026, 4, 14, 15, 30); // Thursday 14 May 2026
  const day = 86_400_000;
  it('computes UTC day, week, month, quarter and year ranges', () => {
    expect(dateLiteralRange('TODAY', undefined, now)).toEqual([
      Date.UTC(2026, 4, 14),
      Date.UTC(2026, 4, 15),
    ]);
    expect(dateLiteralRange('YESTERDAY', undefined, now)).toEqual([
      Date.UTC(2026, 4, 13),
      Date.UTC(2026, 4, 14),
    ]);
    expect(dateLiteralRange('THIS_WEEK', undefined, now)).toEqual([
      Date.UTC(2026, 4, 10),
      Date.UTC(2026, 4, 17),
    ]);
    expect(dateLiteralRange('LAST_MONTH', undefined, now)).toEqual([
      Date.UTC(2026, 3, 1),
      Date.UTC(2026, 4, 1),
    ]);
    expect(dateLiteralRange('THIS_QUARTER', undefined, now)).toEqual([
      Date.UTC(2026, 3, 1),
      Date.UTC(2026, 6, 1),
    ]);
    expect(dateLiteralRange('LAST_N_DAYS', 7, now)).toEqual([
      Date.UTC(2026, 4, 7),
      Date.UTC(2026, 4, 14) + day,
    ]);
    expect(dateLiteralRange('NEXT_YEAR', undefined, now)).toEqual([
      Date.UTC(2027, 0, 1),
      Date.UTC(2028, 0, 1),
    ]);
  });

  it('refuses unknown literals and missing counts', () => {
    expect(() => dateLiteralRange('SOMEDAY', undefined, now)).toThrow(
      /not a supported date literal/,
    );
    expect(() => dateLiteralRange('LAST_N_DAYS', undefined, now)).toThrow(/needs a number/);
  });
});
