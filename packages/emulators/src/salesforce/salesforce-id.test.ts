import { describe, expect, it } from 'vitest';
import { salesforceId } from './salesforce-id.ts';

describe('salesforceId', () => {
  it('appends the case-safety suffix Salesforce documents', () => {
    expect(salesforceId.from15('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
  });

  it('normalises 15- and 18-character ids and refuses the rest', () => {
    expect(salesforceId.normalize('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(salesforceId.normalize('001A0000006Vm9rIAC')).toBe('001A0000006Vm9rIAC');
    expect(salesforceId.normalize('001A0000006Vm9rAAA')).toBeUndefined();
    expect(salesforceId.normalize('not-an-id')).toBeUndefined();
    expect(salesforceId.normalize(42)).toBeUndefined();
  });
});
