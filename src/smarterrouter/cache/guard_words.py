"""Word lists for the near-miss guards (guards.py): data only, no logic.

Each table maps a surface form (lower case) to a canonical key, so that two
spellings of one thing compare equal ("km" and "kilometres") and two different
things do not ("km" and "miles").
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final


def _table(groups: dict[str, str]) -> MappingProxyType[str, str]:
    """{"key": "form form form"} -> {form: key} for every form."""
    return MappingProxyType({form: key for key, forms in groups.items() for form in forms.split()})


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


NUMBER_WORDS: Final = MappingProxyType(
    {
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "dozen": 12,
        "half": 0.5,
        "twice": 2,
        "thrice": 3,
        "double": 2,
        "triple": 3,
    }
)

SCALE_WORDS: Final = MappingProxyType(
    {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}
)

ORDINAL_WORDS: Final = MappingProxyType(
    {
        "third": 3,
        "fourth": 4,
        "fifth": 5,
        "sixth": 6,
        "seventh": 7,
        "eighth": 8,
        "ninth": 9,
        "tenth": 10,
        "eleventh": 11,
        "twelfth": 12,
        "twentieth": 20,
        "hundredth": 100,
    }
)

MONTHS: Final = MappingProxyType(
    {
        name: number
        for number, names in enumerate(
            (
                "january jan",
                "february feb",
                "march mar",
                "april apr",
                "may",
                "june jun",
                "july jul",
                "august aug",
                "september sep sept",
                "october oct",
                "november nov",
                "december dec",
            ),
            start=1,
        )
        for name in names.split()
    }
)

# "which one", "this one": a pronoun, not a count.
ONE_AS_PRONOUN_AFTER: Final = _set(
    "which this that the each any every no some another little other one's a first second "
    "last next previous new old same different right wrong big small bigger smaller better "
    "best worse worst st nd rd th"
)

NEGATIONS: Final = _set(
    "not no never without except excluding none nobody nothing nowhere neither nor cannot "
    "dont doesnt didnt isnt arent wasnt werent cant couldnt wouldnt shouldnt wont havent "
    "hasnt hadnt aint mustnt neednt"
)

# "no worries": politeness, not negation.
NEGATION_FILLERS: Final = _set("worries rush problem pressure hurry")

# Symbols that are units only right after a number ("5 m", "30C").
UNITS_AFTER_NUMBER: Final = _table(
    {
        "m": "m",
        "g": "g",
        "l": "l",
        "h": "h",
        "celsius": "c",
        "fahrenheit": "f",
        "am": "am a.m",
        "pm": "pm p.m",
    }
)

UNITS: Final = _table(
    {
        "km": "km kms kilometer kilometers kilometre kilometres",
        "m": "meter meters metre metres",
        "cm": "cm centimeter centimeters centimetre centimetres",
        "mm": "mm millimeter millimeters millimetre millimetres",
        "mile": "mi mile miles",
        "foot": "ft foot feet",
        "inch": "inch inches",
        "yard": "yd yds yard yards",
        "kg": "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes",
        "g": "gram grams gramme grammes",
        "lb": "lb lbs pound pounds",
        "oz": "oz ounce ounces",
        "stone": "stone stones",
        "tonne": "tonne tonnes ton tons",
        "l": "liter liters litre litres",
        "ml": "ml milliliter milliliters millilitre millilitres",
        "gallon": "gal gallon gallons",
        "cup": "cup cups",
        "tbsp": "tbsp tablespoon tablespoons",
        "tsp": "tsp teaspoon teaspoons",
        "celsius": "°c celsius centigrade",
        "fahrenheit": "°f fahrenheit",
        "kelvin": "kelvin",
        "s": "sec secs second seconds",
        "ms": "ms millisecond milliseconds",
        "min": "mins minute minutes",
        "h": "hr hrs hour hours",
        "day": "day days",
        "week": "week weeks",
        "month": "month months",
        "year": "yr yrs year years",
        "mph": "mph",
        "kmh": "kmh kph km/h",
        "byte": "byte bytes",
        "bit": "bit bits",
        "kb": "kb kilobyte kilobytes",
        "mb": "mb megabyte megabytes",
        "gb": "gb gigabyte gigabytes",
        "tb": "tb terabyte terabytes",
        "kib": "kib",
        "mib": "mib",
        "gib": "gib",
        "usd": "$ usd dollar dollars",
        "eur": "€ eur euro euros",
        "gbp": "£ gbp sterling",
        "jpy": "¥ jpy yen",
        "inr": "₹ inr rupee rupees",
        "percent": "% percent percentage per-cent",
        "watt": "w watt watts",
        "kw": "kw kilowatt kilowatts",
        "kwh": "kwh",
        "volt": "v volt volts",
        "amp": "amp amps ampere amperes",
        "hz": "hz hertz",
        "mhz": "mhz",
        "ghz": "ghz",
        "calorie": "cal calorie calories kcal",
        "joule": "j joule joules",
        "acre": "acre acres",
        "hectare": "ha hectare hectares",
        "radian": "rad radian radians",
        "px": "px pixel pixels",
        "pt": "pt",
        "em": "rem",
    }
)

# (group, pole): two texts that ask in opposite directions must not share an answer.
DIRECTIONS: Final = _table(
    {
        "amount+": "more most greater greatest higher highest max maximum maximal maximise "
        "maximize increase increasing increases increased larger largest bigger biggest "
        "above exceeds exceed upper raise",
        "amount-": "less least fewer fewest lower lowest min minimum minimal minimise minimize "
        "decrease decreasing decreases decreased smaller smallest below lesser reduce",
        "time+": "after later latest next newer newest since following",
        "time-": "before earlier earliest prior previous older oldest preceding",
        "age+": "elder eldest",
        "order+": "first",
        "order-": "last",
        "speed+": "faster fastest quicker quickest",
        "speed-": "slower slowest",
        "quality+": "better best",
        "quality-": "worse worst",
        "price+": "expensive pricier priciest costlier",
        "price-": "cheaper cheapest inexpensive",
        "length+": "longer longest lengthen expand",
        "length-": "shorter shortest shorten condense",
        "heat+": "hotter hottest warmer warmest",
        "heat-": "colder coldest cooler coolest",
        "sort+": "ascending asc",
        "sort-": "descending desc",
        "side+": "left",
        "side-": "right",
        "ns+": "north northern",
        "ns-": "south southern",
        "ew+": "east eastern",
        "ew-": "west western",
        "vertical+": "top",
        "vertical-": "bottom",
        "add+": "add append insert",
        "add-": "remove delete drop",
        "code+": "encode encoding encrypt encryption compress serialize serialise zip",
        "code-": "decode decoding decrypt decryption decompress deserialize deserialise unzip",
        "transfer+": "import upload push",
        "transfer-": "export download pull",
        "switch+": "enable enabled install lock",
        "switch-": "disable disabled uninstall unlock",
        "trade+": "buy buying bought",
        "trade-": "sell selling sold",
        "truth+": "true",
        "truth-": "false",
        "case+": "uppercase upper-case capitalize capitalise",
        "case-": "lowercase lower-case",
        "parity+": "even",
        "parity-": "odd",
        "sign+": "positive",
        "sign-": "negative",
        "io+": "input inputs",
        "io-": "output outputs",
        "visibility+": "public",
        "visibility-": "private",
        "sync+": "synchronous sync synchronously",
        "sync-": "asynchronous async asynchronously",
        "axis+": "horizontal horizontally",
        "axis-": "vertical vertically",
        "join+": "inner",
        "join-": "outer",
        "set+": "union",
        "set-": "intersection",
        "fix+": "prefix",
        "fix-": "suffix",
        "distance+": "farther farthest further furthest",
        "distance-": "closer closest nearer nearest near",
        "difficulty+": "harder hardest",
        "difficulty-": "easier easiest",
        "cause+": "cause causes",
        "cause-": "effect effects consequence consequences",
        "weight+": "heavier heaviest",
        "weight-": "lighter lightest",
        "merit+": "pro pros advantage advantages upside upsides strength strengths",
        "merit-": "con cons disadvantage disadvantages downside downsides weakness weaknesses "
        "drawback drawbacks",
        "width+": "wider widest broader",
        "width-": "narrower narrowest",
        "depth+": "deeper deepest",
        "depth-": "shallower shallowest",
        "power+": "stronger strongest",
        "power-": "weaker weakest",
        "wealth+": "richer richest",
        "wealth-": "poorer poorest",
        "age-": "younger youngest",
        "noise+": "louder loudest",
        "noise-": "quieter quietest",
        "light+": "brighter brightest",
        "light-": "darker darkest",
        "risk+": "riskier riskiest",
        "risk-": "safer safest",
        "verdict+": "accept allow allowed whitelist approve",
        "verdict-": "reject deny denied block blocked blacklist",
        "scope+": "include including included",
        "scope-": "exclude",
        "outcome+": "win wins winning won success succeed",
        "outcome-": "lose loses losing lost failure fail fails",
    }
)

# "the best laptop for students" asks for the same as "which laptop should a student
# get", "what causes X" as "why X": alone, these are no direction (against "worst" or
# "effects" they are).
SOFT_DIRECTIONS: Final = frozenset({"quality+", "cause+"})

# "the best way to": a manner of asking, not a direction.
DIRECTION_FILLER_BEFORE: Final = _set("way ways method approach option practice")

LANGUAGES: Final = _table(
    {
        "python": "python python3 py",
        "javascript": "javascript js node nodejs node.js",
        "typescript": "typescript ts",
        "java": "java",
        "c": "c ansi-c",
        "cpp": "c++ cpp",
        "csharp": "c# csharp .net",
        "rust": "rust",
        "go": "golang",
        "ruby": "ruby",
        "php": "php",
        "swift": "swift",
        "kotlin": "kotlin",
        "scala": "scala",
        "haskell": "haskell",
        "perl": "perl",
        "sql": "sql mysql postgres postgresql sqlite tsql t-sql",
        "bash": "bash sh shell zsh",
        "powershell": "powershell",
        "lua": "lua",
        "julia": "julia",
        "matlab": "matlab",
        "dart": "dart",
        "elixir": "elixir",
        "erlang": "erlang",
        "clojure": "clojure",
        "fortran": "fortran",
        "cobol": "cobol",
        "html": "html",
        "css": "css",
        "json": "json",
        "yaml": "yaml yml",
        "xml": "xml",
        "toml": "toml",
        "csv": "csv",
        "markdown": "markdown md",
        "english": "english",
        "french": "french français francais",
        "spanish": "spanish español espanol castilian",
        "german": "german deutsch",
        "italian": "italian italiano",
        "portuguese": "portuguese português",
        "chinese": "chinese mandarin cantonese",
        "japanese": "japanese",
        "korean": "korean",
        "russian": "russian",
        "arabic": "arabic",
        "hindi": "hindi",
        "dutch": "dutch",
        "swedish": "swedish",
        "norwegian": "norwegian",
        "danish": "danish",
        "finnish": "finnish",
        "polish": "polish",
        "turkish": "turkish",
        "greek": "greek",
        "hebrew": "hebrew",
        "latin": "latin",
        "ukrainian": "ukrainian",
        "vietnamese": "vietnamese",
        "thai": "thai",
        "indonesian": "indonesian",
    }
)

# Function words that say which language a text is written in.
STOPWORDS: Final = MappingProxyType(
    {
        "en": _set(
            "the is are what how why which who of and to in for with this that it do does "
            "can could would should my your a an be was i you me please"
        ),
        "fr": _set(
            "le la les est sont et des du un une que qui quoi pourquoi comment quel quelle "
            "dans pour avec ce cette je tu vous mon ma mes est-ce pas"
        ),
        "es": _set(
            "el los las es son y del un una que qué quién por para con como cómo cuál esto "
            "este esta mi yo tú usted está"
        ),
        "de": _set(
            "der die das ist sind und ein eine was wie warum wer mit für ich du sie nicht "
            "mein dem den zu auf"
        ),
        "it": _set(
            "il lo gli è sono e di un una che chi perché come quale con per questo questa "
            "mio io tu della"
        ),
        "pt": _set(
            "o os as é são e do da um uma que quem por para com como qual isto este esta "
            "meu eu você não"
        ),
    }
)

# Capitalised at the start of a sentence because they start it, not because they name.
COMMON_SENTENCE_STARTS: Final = _set("""
    a an the this that these those there here it its i i'm i've i'd i'll we you he she they
    my our your his her their me us them what what's whats how how's hows why why's which who
    whom whose when where whether is are was were be been being am do does did done can could
    would should will shall may might must have has had having if then so but and or also
    yet still just now ok okay okey hey hi hello yo thanks thank please pls plz kindly
    sorry quick quickly real briefly basically actually honestly seriously simply
    explain describe write give tell list show summarize summarise translate compare create
    make generate find convert calculate compute define help fix debug check review refactor
    rewrite rephrase reword improve optimize optimise implement build design draft outline
    suggest recommend name provide return print sort count reverse split merge parse format
    solve answer evaluate estimate determine identify classify detect extract remove add
    insert delete update change replace rename move copy run test use using need want
    looking trying wondering curious question quick q any anyone someone somebody
    in on at for of to from with without by about into over under after before during
    between through via per as like than since until while because although though
    instead other another some many much more most less few several all every each both
    either neither none no not never one two three first second next last new old
    good great best better nice cool awesome well very really too quite pretty rather
    is it's there's let let's lets go get got put take set keep start stop try see look
    know think mean say said read learn understand teach walk guide assist draw plan
    what're how're can't cannot don't doesn't isn't won't shouldn't wouldn't couldn't
    yes yeah yep nope sure true false maybe perhaps probably possibly
    tips tip advice ideas idea examples example steps ways
    compose brainstorm sketch elaborate clarify share send propose prepare produce
    proofread edit correct translate paraphrase simplify shorten expand continue finish
    complete fill turn modify adjust tweak adapt port migrate deploy install configure
    setup set up write-up come okay tldr tl;dr btw fyi imagine pretend act suppose assume
    given consider describe illustrate demonstrate analyze analyse assess critique rate
    rank choose pick decide predict guess convince persuade argue justify prove verify
    validate confirm ensure remind recall remember forget ignore skip stop quit exit
    """)

# Dates in words; "may" and "march" only count beside a number (guard_features).
DATE_WORDS: Final = _set(
    "january february april june july august september october november december monday "
    "tuesday wednesday thursday friday saturday sunday today tomorrow yesterday tonight"
)

# A text with one of these converts or travels: what follows "to" and "from" matters.
CONVERSION_CUES: Final = _set(
    "from convert converting conversion cast casting turn transform change map migrate "
    "port switch go get travel fly flight drive move send transfer route redirect"
)

# Words that ask politely or fill a sentence: a long text may differ in these alone.
FILLER: Final = _set(
    "please pls plz kindly thanks thank thx hi hello hey dear can could would will you u "
    "your me i i'm i'd my we a an the this that these those it it's just quickly quick "
    "briefly so ok okay now also then for to of in on at and with some help want need "
    "like is are be do does did here there following below above text code snippet "
    "sure really very"
)

# Auxiliaries that set a question's time: "who is the president" asks for today,
# "who was the president" for the past, "who will win" for the future.
TENSES: Final = _table(
    {
        "present": "is are am does do has have isn't aren't doesn't don't hasn't haven't "
        "isnt arent doesnt dont hasnt havent",
        "past": "was were did had wasn't weren't didn't hadn't wasnt werent didnt hadnt",
        "future": "will won't wont shall",
    }
)
