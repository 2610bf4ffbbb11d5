// Parse the .ics files given as arguments with ical.js (the parser Thunderbird bundles)
// and print, as JSON, each event's UID and its start/end instants in UTC as ical.js computes them.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const result = {};
for (const path of process.argv.slice(2)) {
  const text = readFileSync(path, "utf8");
  const root = new ICAL.Component(ICAL.parse(text));
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const events = root.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    const instant = (time) => time.isDate
      ? { date: time.toString() }
      : { utc: time.toJSDate().toISOString().replace(".000Z", "Z") };
    return {
      uid: event.uid,
      summary: event.summary,
      description: event.description,
      start: instant(event.startDate),
      end: instant(event.endDate),
      status: component.getFirstPropertyValue("status"),
      sequence: event.sequence,
    };
  });
  result[path] = { events, errors: [] };
}
process.stdout.write(JSON.stringify(result));
