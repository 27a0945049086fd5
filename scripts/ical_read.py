#!/usr/bin/env python3
"""Reads an iCalendar feed from standard input with the icalendar parser
(PyPI) and prints what pawl's tests check, as JSON: the calendar's name and
each event's UID, first day, end, summary and URL. A feed the parser refuses
fails with its message."""
import json
import sys

import icalendar

cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = []
for e in cal.walk("VEVENT"):
    events.append({
        "uid": str(e["UID"]),
        "start": e.decoded("DTSTART").isoformat(),
        "end": e.decoded("DTEND").isoformat(),
        "summary": str(e["SUMMARY"]),
        "url": str(e.get("URL", "")),
        "stamp": e.decoded("DTSTAMP").isoformat(),
    })
print(json.dumps({"name": str(cal.get("X-WR-CALNAME", "")), "version": str(cal["VERSION"]), "events": events}))
