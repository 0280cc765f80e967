"""Does the text ask for something to be done, rather than written?

"run the tests on branch X", "book it", "what's NVDA trading at right now":
only a model calling tools can honour these. This is a hint read from the
words, kept apart from `Signals.needs_tools`, which only the request's shape
(tool_choice, a tool round trip) may set.
"""

from __future__ import annotations

import re

# Every pattern below is matched against lower-cased text.

# Verbs that act on something outside the conversation when they open a clause.
_VERB = (
    r"(?:run|rerun|execute|deploy|restart|reboot|ssh|ping|book|reserve|cancel|reschedule|"
    r"rebook|send|email|e-mail|text|message|post|tweet|publish|schedule|queue|add|remove|"
    r"delete|set|remind|order|buy|pay|transfer|open|pull|grab|fetch|download|"
    r"upload|query|search|look up|lookup|find|check|print|share|invite|merge|push|install|"
    r"play|research|monitor|profile|get|git bisect|bisect|plan and book|"
    r"reserva|envía|envia|cancela|apaga|enciende|busca|programa|"
    r"envoie|réserve|annule|allume|éteins|cherche|"
    r"schick|sende|buche|storniere|mach das licht|suche)"
)
_CLAUSE_START = (
    r"(?:^|[.;:!?]\s+|,\s*(?:and\s+|then\s+)?|\band\s+(?:then\s+)?|\bthen\s+|"
    r"\b(?:please|pls|can you|could you|would you|go ahead and|now)\s+)"
)
_ACTION_VERB = re.compile(_CLAUSE_START + _VERB + r"\b", re.M)
# What the verb acts on: the user's own things, live systems, named services.
_TARGET = re.compile(
    r"\b(my|our|me|prod|production|staging|server|host|bastion|cluster|"
    r"account|calendar|inbox|drive|portal|branch|repo|monorepo|printer|lights?|"
    r"twitter|instagram|facebook|linkedin|buffer|hootsuite|github|sentry|jira|slack|"
    r"noaa|datadog|shopify|mailchimp|appointment|flight|"
    r"hotel|trip|timer|alarm|test suite|mi|mis|nuestro|mon|mes|notre|mein|meine|"
    r"unser)\b",
)
# Close to the verb only: "pull the number out of this ... our fax" is not an action.
_TARGET_WINDOW = 70
# Verbs that only make sense as actions, whatever follows.
_ALWAYS = re.compile(
    r"\b(ssh into|ping \S+\.\S+|deploy (?:the|to)|restart the|reboot|git bisect|"
    r"book (?:it|the|a|my|hotels?|flights?|tickets?)|reschedule|"
    r"(?:fetch|download|pull|grab) (?:the )?(?:last|latest|past)|"
    r"generated? (?:\w+ )?(?:images?|mockups?|pictures?|photos?)|"
    r"remind me|set a (?:timer|alarm|reminder)|turn (?:on|off) the|switch (?:on|off) the|"
    r"(?:send|email|text|forward) (?:it|this|that|them) to)\b",
)
# Questions only live data can answer.
_LIVE = re.compile(
    r"\b(right now|at the moment|currently (?:trading|worth|open)|"
    r"today'?s (?:\w+ ){0,3}?(?:curve|yields?|data|weather|forecast|news|headlines|"
    r"prices?|rates?|schedule|games?|scores?)|"
    r"live (?:scores?|prices?|data|feed|results?|updates?|status)|"
    r"latest (?:price|rate|score|news)|current(?:ly)? (?:price|rate|status|population|"
    r"weather|balance|value)s?|still on time|is my \w+ delayed|trading at|going for)\b",
)

# A system prompt that grants access to accounts or live systems makes any
# imperative an action ("book the second one").
_TOOL_SYSTEM = re.compile(r"\b(access to|can (?:look up|book|manage|search)|tools?)\b")


def wants_action(text: str, system: str = "") -> bool:
    """True when the last user turn asks for an action or for live data."""
    # Lower-cased once: case-insensitive patterns cost about twice as much.
    head = text[:600].lower()
    system = system.lower()
    if _ALWAYS.search(head) or _LIVE.search(head):
        return True
    if _TOOL_SYSTEM.search(system) and _ACTION_VERB.search(head):
        return True
    for match in _ACTION_VERB.finditer(head):
        if _TARGET.search(head, match.end(), match.end() + _TARGET_WINDOW):
            return True
    return False
