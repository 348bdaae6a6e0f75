import { describe, expect, it } from 'vitest';
import {
  compileMrnPatterns,
  containsDate,
  containsNamePair,
  findMrns,
  findSsns,
  looksLikeDobWithName,
  maskIdentifier,
} from './patterns.js';

// Every value here is synthetic. SSN-shaped values use numbers from published examples or made-up digits.
describe('findSsns', () => {
  it.each([
    // Looks like an SSN the SSA could issue.
    ['219-09-9999', ['***-**-9999']],
    ['ssn 123-45-6789 on file', ['***-**-6789']],
    ['665-01-0001 and 899-99-9998', ['***-**-0001', '***-**-9998']],
    // Never issued: area 000, 666 or 900-999, group 00, serial 0000.
    ['000-12-3456', []],
    ['666-12-3456', []],
    ['900-12-3456', []],
    ['999-12-3456', []],
    ['123-00-4567', []],
    ['123-45-0000', []],
    // Other shapes that share digits and dashes.
    ['CHG-0012345', []],
    ['555-123-4567', []],
    ['2026-01-15', []],
    ['1.10.3-rc.1', []],
    ['0 6 1 * *', []],
    ['1234-56-7890', []],
    ['123456789', []],
  ])('%s -> %j', (text, masked) => {
    expect(findSsns(text)).toEqual(masked);
  });
});

describe('findMrns', () => {
  const defaults = compileMrnPatterns(undefined);
  it.each([
    ['MRN: 00123456', ['MRN: ******56']],
    ['mrn#1234567', ['mrn#*****67']],
    ['patient MRN 123456 seen', ['MRN ****56']],
    ['MRN-9876543210', ['MRN-********10']],
    // Too short, too long, or no label.
    ['MRN: 12345', []],
    ['MRN 12345678901', []],
    ['encounter_id 2278392', []],
    ['patient_nbr', []],
    ['CHG-0012345', []],
    ['mrnPatterns', []],
  ])('%s -> %j', (text, masked) => {
    expect(findMrns(text, defaults)).toEqual(masked);
  });

  it('takes site patterns as strings (case-insensitive) or regular expressions', () => {
    expect(findMrns('chart PT-00123456', compileMrnPatterns(['\\bpt-\\d{8}\\b']))).toEqual(['PT-******56']);
    expect(findMrns('chart PT-00123456', compileMrnPatterns([/\bPT-\d{8}\b/]))).toEqual(['PT-******56']);
    expect(findMrns('chart pt-00123456', compileMrnPatterns([/\bPT-\d{8}\b/]))).toEqual([]);
  });
});

describe('maskIdentifier', () => {
  it.each([
    ['MRN: 00123456', 'MRN: ******56'],
    ['AB12CD34', 'AB****34'],
    ['ABCDEFGH', '******GH'],
  ])('%s -> %s', (text, masked) => {
    expect(maskIdentifier(text)).toBe(masked);
  });
});

describe('date of birth with a name', () => {
  it.each([
    // Positives: name, date and cue together.
    ['Test Patient, DOB 1984-03-02', true],
    ['Test Patient born 2 March 1984', true],
    ['Test Patient (date of birth: 03/02/1984)', true],
    ['Birth date March 2, 1984 for Mary-Jane Sample', true],
    ['dob=1984-03-02 name=Test Patient', true],
    // Negatives: any one of the three missing.
    ['Test Patient reviewed on 2026-01-15', false],
    ['DOB 1984-03-02', false],
    ['Test Patient, DOB unknown', false],
    ['date_of_birth', false],
    ['Date of Birth 1984-03-02', false],
    ['Born 2 March 1984', false],
    ['review date 2026-01-15', false],
    ['Sepsis Alert v1.10.3, retrained 2024-06-01', false],
    ['UseCase DataContract dob 1984-03-02', false],
    ['0 6 1 * *', false],
  ])('%s -> %s', (text, expected) => {
    expect(looksLikeDobWithName(text)).toBe(expected);
  });

  it.each([
    ['1984-03-02', true],
    ['03/02/1984', true],
    ['2 March 1984', true],
    ['Mar 2, 1984', true],
    ['2026-13-01', false],
    ['1.10.2', false],
    ['0 6 1 * *', false],
    ['CHG-0012345', false],
  ])('containsDate(%s) is %s', (text, expected) => {
    expect(containsDate(text)).toBe(expected);
  });

  it.each([
    ['Test Patient', true],
    ["Mary-Jane O'Neil", true],
    ['Core Payment Metrics', true],
    ['ReleaseTrain SignoffPolicy', false],
    ['Date Of Birth', false],
    ['March Monday', false],
    ['test patient', false],
    ['TEST PATIENT', false],
    ['Test\nPatient', false],
  ])('containsNamePair(%j) is %s', (text, expected) => {
    expect(containsNamePair(text)).toBe(expected);
  });
});
