// Time zones as people write them: an abbreviation (EST, CET), a Windows name ("Central Standard Time") or a
// legacy alias (US/Central) where an IANA zone of a region (America/Chicago) is meant, and the zone to suggest.
import { isTimeZone } from '../../../specs/common.js';
import { closest } from './suggest.js';

/** What an abbreviation or Windows name most often means in the places Vigil is used. */
const MEANT: Record<string, string> = {
  est: 'America/New_York',
  edt: 'America/New_York',
  est5edt: 'America/New_York',
  eastern: 'America/New_York',
  cst: 'America/Chicago',
  cdt: 'America/Chicago',
  cst6cdt: 'America/Chicago',
  central: 'America/Chicago',
  mst: 'America/Denver',
  mdt: 'America/Denver',
  mst7mdt: 'America/Denver',
  mountain: 'America/Denver',
  'us mountain': 'America/Phoenix',
  pst: 'America/Los_Angeles',
  pdt: 'America/Los_Angeles',
  pst8pdt: 'America/Los_Angeles',
  pacific: 'America/Los_Angeles',
  akst: 'America/Anchorage',
  akdt: 'America/Anchorage',
  alaskan: 'America/Anchorage',
  hst: 'Pacific/Honolulu',
  hawaiian: 'Pacific/Honolulu',
  ast: 'America/Puerto_Rico',
  atlantic: 'America/Halifax',
  gmt: 'Europe/London',
  bst: 'Europe/London',
  'gmt standard': 'Europe/London',
  wet: 'Europe/Lisbon',
  cet: 'Europe/Berlin',
  cest: 'Europe/Berlin',
  met: 'Europe/Berlin',
  'central european': 'Europe/Berlin',
  'w. europe': 'Europe/Berlin',
  eet: 'Europe/Athens',
  'e. europe': 'Europe/Athens',
  ist: 'Asia/Kolkata',
  india: 'Asia/Kolkata',
  jst: 'Asia/Tokyo',
  tokyo: 'Asia/Tokyo',
  aest: 'Australia/Sydney',
  aedt: 'Australia/Sydney',
  'aus eastern': 'Australia/Sydney',
};

/** Zones with no region that are nonetheless exact: coordinated universal time and fixed offsets. */
const UNIVERSAL = /^(?:UTC|Etc\/UTC|Etc\/GMT(?:[+-]\d{1,2})?)$/;
/** Legacy aliases that name a country rather than a region of it (US/Central, Canada/Eastern, Brazil/East). */
const LEGACY_COUNTRY = /^(?:US|Canada|Mexico|Brazil|Chile)\//;

let regions: string[] | undefined;
/** The IANA zones this runtime knows (`Intl.supportedValuesOf`), listed once. */
function ianaZones(): string[] {
  regions ??= Intl.supportedValuesOf('timeZone');
  return regions;
}

/**
 * What a time zone the runtime accepts is, when it is probably not the zone meant (undefined when it names a
 * region, or UTC): an abbreviation is a fixed offset or an alias a reader cannot pin down (EST keeps no daylight
 * saving time; CST is also China's), and a legacy alias may be dropped from the time zone database.
 */
export function timeZoneConcern(zone: string): string | undefined {
  if (!isTimeZone(zone) || UNIVERSAL.test(zone)) return undefined;
  if (LEGACY_COUNTRY.test(zone))
    return `the legacy alias "${zone}", which names a country rather than a region and may be dropped from the time zone database`;
  if (!zone.includes('/'))
    return `the abbreviation "${zone}", which is ambiguous and may keep no daylight saving time`;
  return undefined;
}

/** The IANA zone most likely meant by a zone written some other way, e.g. "America/Chicago" for "CST". */
export function suggestTimeZone(zone: string): string | undefined {
  const words = zone
    .trim()
    .toLowerCase()
    .replace(/\b(?:standard|daylight|summer|time|zone)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const meant = MEANT[words];
  if (meant) return meant;
  if (/^(?:zulu|universal|uct|gmt0|greenwich)$/.test(words)) return 'UTC';
  if (isTimeZone(zone)) {
    // An alias the runtime resolves (US/Central -> America/Chicago): its region, when it has one.
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    if (resolved !== zone && resolved.includes('/')) return resolved;
  }
  const written = zone.trim().replace(/ /g, '_');
  const zones = ianaZones();
  // A city on its own ("Chicago"), or a misspelt zone ("America/Chicgo").
  const city = zones.find((z) => z.slice(z.lastIndexOf('/') + 1).toLowerCase() === written.toLowerCase());
  return city ?? closest(written, zones);
}
