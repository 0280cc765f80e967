"""Names people often type in lower case, for the near-miss guards: data only.

A capitalised name is caught by its capital letter (guard_features.py); "capital
of spain" against "capital of portugal" has none, so well-known names of places,
substances and software are listed here. Spellings of one thing share a key.
Words with a common everyday sense ("react", "spring", "lead", "earth") are left
out: in one text they may be a name and in its paraphrase a plain word.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_GROUPS: Final = (
    # countries (aliases on one line share the first as key)
    "afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|"
    "azerbaijan|bahamas|bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bhutan|"
    "bolivia|bosnia|botswana|brazil,brasil|brunei|bulgaria|burkina faso|burundi|cambodia|"
    "cameroon|canada|chile|china,prc|colombia|congo|costa rica|croatia|cuba|cyprus|"
    "czechia,czech republic|denmark|djibouti|dominican republic|ecuador|egypt|el salvador|"
    "england|eritrea|estonia|eswatini|ethiopia|fiji|finland|france|gabon|gambia|germany|ghana|"
    "greece|guatemala|haiti|honduras|hungary|iceland|india|indonesia|iran|iraq|ireland|"
    "israel|italy|jamaica|japan|jordan|kazakhstan|kenya|kosovo|kuwait|kyrgyzstan|laos|latvia|"
    "lebanon|lesotho|liberia|libya|liechtenstein|lithuania|luxembourg|madagascar|malawi|"
    "malaysia|maldives|mali|malta|mauritania|mauritius|mexico|moldova|monaco|mongolia|"
    "montenegro|morocco|mozambique|myanmar,burma|namibia|nepal|netherlands,holland|"
    "new zealand|nicaragua|niger|nigeria|north korea|norway|oman|pakistan|panama|"
    "papua new guinea|paraguay|peru|philippines|poland|portugal|qatar|romania|russia|rwanda|"
    "saudi arabia|scotland|senegal|serbia|singapore|slovakia|slovenia|somalia|south africa|"
    "south korea,korea|spain|sri lanka|sudan|suriname|sweden|switzerland|syria|taiwan|"
    "tajikistan|tanzania|thailand|togo|tunisia|turkey,turkiye|turkmenistan|uganda|ukraine|"
    "united arab emirates,uae|uk,britain,great britain,united kingdom|"
    "usa,america,united states|uruguay|uzbekistan|venezuela|vietnam|wales|yemen|zambia|"
    "zimbabwe",
    # cities
    "amsterdam|athens|atlanta|auckland|bangkok|barcelona|beijing|berlin|bogota|boston|"
    "brisbane|brussels|budapest|buenos aires|cairo|calgary|cape town|chicago|copenhagen|"
    "dallas|delhi,new delhi|denver|dubai|dublin|edinburgh|florence|frankfurt|geneva|hamburg|"
    "helsinki|hong kong|houston|istanbul|jakarta|jerusalem|johannesburg|kyiv,kiev|lagos|lima|"
    "lisbon|london|los angeles,la|madrid|manchester|manila|marseille|melbourne|miami|milan|"
    "montreal|moscow|mumbai,bombay|munich|nairobi|naples|new york,nyc|osaka|oslo|ottawa|paris|"
    "philadelphia|prague|rio de janeiro,rio|rome|san francisco,sf|santiago|sao paulo|seattle|"
    "seoul|shanghai|singapore city|stockholm|sydney|taipei|tehran|tokyo|toronto|vancouver|"
    "venice|vienna|warsaw|washington dc|wellington|zurich",
    # US states not already a country or city
    "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|"
    "georgia|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|"
    "massachusetts|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|"
    "new hampshire|new jersey|new mexico|north carolina|north dakota|ohio|oklahoma|oregon|"
    "pennsylvania|rhode island|south carolina|south dakota|tennessee|texas|utah|vermont|"
    "virginia|west virginia|wisconsin|wyoming",
    # sky and elements
    "mercury|venus|mars|jupiter|saturn|uranus|neptune|pluto|ceres",
    "hydrogen|helium|lithium|carbon|nitrogen|oxygen|fluorine|neon|sodium|magnesium|aluminium,"
    "aluminum|silicon|phosphorus|sulfur,sulphur|chlorine|argon|potassium|calcium|titanium|"
    "chromium|manganese|cobalt|nickel|copper|zinc|arsenic|bromine|krypton|silver|gold|"
    "platinum|uranium|plutonium|radon|xenon|iodine|tungsten|lithium",
    # compounds
    "ethanol|methanol|propanol|isopropanol|acetone|benzene|toluene|glucose|fructose|"
    "sucrose|lactose|ammonia|methane|ethane|propane|butane|octane|ozone|bleach|vinegar|"
    "glycerin,glycerol|nicotine|cholesterol|hemoglobin|collagen|keratin",
    # medicines
    "ibuprofen,advil|acetaminophen,paracetamol,tylenol|aspirin|naproxen|amoxicillin|"
    "penicillin|metformin|insulin|omeprazole|lisinopril|atorvastatin|melatonin|caffeine|"
    "cetirizine|loratadine|diphenhydramine,benadryl|prednisone|sertraline|fluoxetine",
    # software
    "numpy|pandas|scipy|matplotlib|seaborn|sklearn,scikit-learn|pytorch,torch|tensorflow|"
    "keras|django|flask|fastapi|pydantic|sqlalchemy|requests|httpx|pytest|celery|"
    "vue,vuejs|angular|svelte|nextjs,next.js|jquery|webpack|vite|tailwind|bootstrap|"
    "postgresql,postgres|mysql|sqlite|mongodb,mongo|redis|cassandra|elasticsearch|kafka|"
    "rabbitmq|nginx|apache|docker|kubernetes,k8s|terraform|ansible|jenkins|git|github|gitlab|"
    "aws,amazon web services|azure|gcp,google cloud|heroku|vercel|netlify|linux|ubuntu|"
    "debian|fedora|centos|arch|windows|macos,osx|mac,macbook|ios|android|chrome|firefox|safari|"
    "excel|word|powerpoint|photoshop|figma|slack|zoom|vscode,vs code|vim,neovim|emacs|"
    "intellij|pycharm|eclipse|xcode|unity|unreal|blender|wordpress|shopify|stripe|paypal|"
    "openai|chatgpt|gemini|llama|mistral|ollama|hugging face,huggingface",
)

# Everyday words far more often than names: left out. (A name that is also a plain
# word, like "windows" or "turkey", stays: at worst a paraphrase misses the cache.)
_EVERYDAY: Final = frozenset({"word", "requests", "la", "sf"})


def _entities() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in _GROUPS:
        for entry in group.split("|"):
            spellings = entry.split(",")
            for spelling in spellings:
                if spelling not in _EVERYDAY:
                    table[spelling] = spellings[0]
    return table


ENTITIES: Final = MappingProxyType(_entities())
"""Lower-case name (one or two words) -> its key."""
