// Recognisers for text that looks like protected health information. Each is tuned for few false positives
// on governance files: identifiers need their full shape, and a date counts only beside a name and a cue.

/** The default medical record number pattern: an `MRN` label followed by 6 to 10 digits. */
export const DEFAULT_MRN_PATTERNS: readonly RegExp[] = [/\bMRN[:#\s-]*\d{6,10}\b/i];

const SSN = /\b(\d{3})-(\d{2})-(\d{4})\b/g;
// The same shape without capture or state: most text has none, and a test costs less than starting a matchAll.
const SSN_SHAPE = /\b\d{3}-\d{2}-\d{4}\b/;

/**
 * Masked forms (`***-**-6789`) of the SSN-shaped numbers in `text` that the SSA could issue: area not 000,
 * 666 or 900-999; group not 00; serial not 0000. Numbers it never issues are not PHI.
 */
export function findSsns(text: string): string[] {
  const found: string[] = [];
  if (!SSN_SHAPE.test(text)) return found;
  for (const [, area, group, serial] of text.matchAll(SSN)) {
    const areaNumber = Number(area);
    if (areaNumber === 0 || areaNumber === 666 || areaNumber >= 900) continue;
    if (group === '00' || serial === '0000') continue;
    found.push(`***-**-${serial}`);
  }
  return found;
}

/** Patterns as given, each made global (and case-insensitive when given as a string) for matchAll. */
export function compileMrnPatterns(patterns: readonly (RegExp | string)[] | undefined): RegExp[] {
  return (patterns ?? DEFAULT_MRN_PATTERNS).map((p) => {
    if (typeof p === 'string') return new RegExp(p, 'gi');
    return new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`);
  });
}

/** Masked forms (`MRN: ******56`) of every match of the MRN patterns in `text`. */
export function findMrns(text: string, patterns: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const pattern of patterns) {
    // A global pattern's test moves lastIndex, which matchAll starts from: it goes back to 0 either way.
    pattern.lastIndex = 0;
    const hit = pattern.test(text);
    pattern.lastIndex = 0;
    if (!hit) continue;
    for (const match of text.matchAll(pattern)) {
      if (match[0] !== '') found.push(maskIdentifier(match[0]));
    }
  }
  return found;
}

/**
 * Keeps a label and the last two characters, so a reader can find the value without the message repeating
 * it: digits are starred, and letters too once the digits start (or throughout when there are no digits).
 */
export function maskIdentifier(text: string): string {
  const chars = [...text];
  const alnum = chars.flatMap((c, i) => (/[A-Za-z0-9]/.test(c) ? [i] : []));
  const keep = new Set(alnum.slice(-2));
  const firstDigit = chars.findIndex((c) => /\d/.test(c));
  return chars
    .map((c, i) => {
      if (keep.has(i) || !/[A-Za-z0-9]/.test(c)) return c;
      if (/\d/.test(c) || firstDigit === -1 || i > firstDigit) return '*';
      return c;
    })
    .join('');
}

const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DATES = [
  // 1984-03-02
  /\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b/,
  // 03/02/1984 (either order of day and month)
  /\b(?:0?[1-9]|[12]\d|3[01])\/(?:0?[1-9]|[12]\d|3[01])\/(?:19|20)\d{2}\b/,
  // 2 March 1984
  new RegExp(`\\b(?:0?[1-9]|[12]\\d|3[01])\\s+${MONTH}\\.?,?\\s+(?:19|20)\\d{2}\\b`, 'i'),
  // March 2, 1984
  new RegExp(`\\b${MONTH}\\.?\\s+(?:0?[1-9]|[12]\\d|3[01]),?\\s+(?:19|20)\\d{2}\\b`, 'i'),
];

export function containsDate(text: string): boolean {
  return DATES.some((d) => d.test(text));
}

const DOB_CUE = /\b(?:DOB|D\.O\.B|born|date of birth|birth ?date)\b/i;

// Capitalised words that are part of a cue or a date, not of a name.
const NOT_NAME_WORDS = new Set([
  'date',
  'of',
  'birth',
  'birthdate',
  'born',
  'dob',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
]);

/** Two capitalised words in a row (`Test Patient`, `Mary-Jane O'Neil`) that are not cue or calendar words. */
export function containsNamePair(text: string): boolean {
  const words = [...text.matchAll(/[A-Za-z][A-Za-z'-]*/g)];
  for (let i = 1; i < words.length; i++) {
    const [a, b] = [words[i - 1]!, words[i]!];
    const between = text.slice(a.index + a[0].length, b.index);
    if (!/^[ \t]+$/.test(between)) continue;
    if (isNameWord(a[0]) && isNameWord(b[0])) return true;
  }
  return false;
}

function isNameWord(word: string): boolean {
  // Not camelCase (`ReleaseTrain`): governance files are full of kind names that would pair up.
  return (
    /^[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:[-'][A-Z]?[a-z]+)*$/.test(word) &&
    !NOT_NAME_WORDS.has(word.toLowerCase())
  );
}

/** `Test Patient, DOB 1984-03-02`: a name, a date, and a word saying the date is a birth date. */
export function looksLikeDobWithName(text: string): boolean {
  return DOB_CUE.test(text) && containsDate(text) && containsNamePair(text);
}

const normaliseKey = (key: string) => key.toLowerCase().replace(/[_\-\s]/g, '');
const NAME_KEYS = new Set([
  'name',
  'patient',
  'patientname',
  'fullname',
  'firstname',
  'lastname',
  'givenname',
  'familyname',
  'surname',
]);
const DOB_KEYS = new Set(['dob', 'birthdate', 'dateofbirth', 'birthday', 'patientdob', 'patientbirthdate']);

export function isNameKey(key: string): boolean {
  return NAME_KEYS.has(normaliseKey(key));
}

export function isDobKey(key: string): boolean {
  return DOB_KEYS.has(normaliseKey(key));
}
