"""What the package makes from a data package: exports, the chart, the page and the README docs.

:mod:`~belarus_timeline.outputs.views` joins the tables once into an ordered view; from it,
:mod:`~belarus_timeline.outputs.formats` writes the exports (TimelineJS, GeoJSON, iCalendar,
JSON lines), :mod:`~belarus_timeline.outputs.chart` the chart (PNG, SVG) and
:mod:`~belarus_timeline.outputs.page` the self-contained ``timeline.html`` (its template, CSS
and JavaScript are in ``assets/``). :mod:`~belarus_timeline.outputs.docs` generates the README's
data dictionary and table of events.
"""
