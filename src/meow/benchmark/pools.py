"""Value generators for the fictitious-authors benchmark: word pools and combinatorial makers.

Every maker takes a `random.Random` and returns one string. Pools are large (names and titles are
built from parts: tens of thousands of combinations) so that a model has to memorise each fact; it
cannot guess it from the rest of the data. Job names start with a consonant sound, so "a {job}" is
always grammatical.
"""

from __future__ import annotations

from random import Random

FIRST_STARTS = ("Al", "Bel", "Cor", "Dar", "El", "Fen", "Gal", "Hal", "Is", "Jor", "Kel", "Lor", "Mar", "Nor",
                "Or", "Per", "Quin", "Ros", "Sel", "Tor", "Ul", "Val", "Wen", "Yar", "Zel", "Ad", "Bren", "Cal",
                "Del", "Ev", "Fal", "Ger", "Hen", "Ir", "Lin", "Mil", "Nel", "Os", "Ren", "Tam")
FIRST_MIDS = ("", "a", "e", "i", "o")
FIRST_ENDS = ("an", "en", "in", "on", "a", "ia", "el", "ric", "wyn", "eth", "ara", "ius", "ora", "ys", "ard",
              "ina", "ette", "o", "is", "ley")
LAST_STARTS = ("Ash", "Black", "Brook", "Crane", "Dun", "Fair", "Gold", "Hart", "Holt", "Mar", "Mor", "Pen",
               "Rad", "Stan", "Thorn", "Wick", "Wyn", "Har", "Kes", "Lang", "Ros", "Sal", "Vane", "Whit", "Ald",
               "Bex", "Cor", "Dal", "Eller", "Fen", "Grim", "Hal", "Iver", "Kirk", "Lind", "Mel", "Nor", "Oak",
               "Pryd", "Quill")
LAST_ENDS = ("ford", "wood", "ley", "ton", "well", "by", "more", "wick", "stead", "ridge", "field", "dale",
             "worth", "combe", "gate", "holm", "mont", "ard", "ell", "ani", "elli", "ova", "sen", "berg", "ing")
PLACE_STARTS = ("Vel", "Mar", "Tor", "Kal", "Dor", "Bel", "Sar", "Lum", "Vor", "Ner", "Ost", "Cal", "Fen",
                "Gor", "Hal", "Ist", "Jar", "Kor", "Lis", "Mor", "Nal", "Ond", "Pel", "Quar", "Ras", "Sil",
                "Tam", "Ul", "Var", "Wes", "Yor", "Zan", "Ard", "Bran", "Cor", "Dal", "Eld", "Fal", "Gal", "Hel")
PLACE_MIDS = ("", "a", "e", "i", "o", "an", "en", "ar", "or", "il")
COUNTRY_ENDS = ("ia", "and", "ora", "ovia", "esh", "ania", "istan", "ara", "onia", "ea")
TOWN_ENDS = ("port", "mere", "holm", "grad", "ton", "burg", "ville", "haven", "wick", "stad")
PEAK_ENDS = ("ak", "eth", "orn", "as", "ir", "un", "ax", "ol")
LANGUAGE_ENDS = ("ic", "ish", "ese", "an", "i", "ese", "ol")
CITIES = (
    "Accra", "Adelaide", "Algiers", "Amsterdam", "Ankara", "Antwerp", "Asuncion", "Athens", "Auckland",
    "Baku", "Bangkok", "Barcelona", "Belfast", "Belgrade", "Bergen", "Berlin", "Bilbao", "Bogota", "Bologna",
    "Bordeaux", "Boston", "Bratislava", "Brisbane", "Bristol", "Brno", "Brussels", "Bucharest", "Budapest",
    "Buenos Aires", "Cairo", "Calgary", "Cape Town", "Caracas", "Cardiff", "Chennai", "Chicago", "Cologne",
    "Copenhagen", "Cork", "Dakar", "Delhi", "Denver", "Dublin", "Durban", "Edinburgh", "Florence", "Gdansk",
    "Geneva", "Genoa", "Glasgow", "Gothenburg", "Granada", "Hamburg", "Hanoi", "Havana", "Helsinki",
    "Istanbul", "Jakarta", "Kampala", "Kyiv", "Krakow", "Kyoto", "Lagos", "Leeds", "Leipzig", "Lima",
    "Lisbon", "Liverpool", "Ljubljana", "Lyon", "Madrid", "Manila", "Marseille", "Melbourne", "Mexico City",
    "Milan", "Montreal", "Mumbai", "Munich", "Nairobi", "Naples", "Nantes", "Oslo", "Ottawa", "Palermo",
    "Perth", "Porto", "Prague", "Quito", "Riga", "Rotterdam", "Salzburg", "Santiago", "Seattle", "Seoul",
    "Seville", "Sofia", "Stockholm", "Sydney", "Tallinn", "Tangier", "Tbilisi", "Toronto", "Toulouse",
    "Trieste", "Tunis", "Turin", "Utrecht", "Valencia", "Vancouver", "Venice", "Vienna", "Vilnius",
    "Warsaw", "Wellington", "Winnipeg", "Zagreb", "Zurich",
)
GENRE_KINDS = ("historical", "urban", "gothic", "comic", "psychological", "rural", "cosmic", "political",
               "romantic", "maritime", "folk", "dystopian", "magical", "coastal", "domestic", "military",
               "pastoral", "surreal", "Nordic", "tropical")
GENRE_FORMS = ("fantasy", "mystery", "romance", "thriller", "satire", "horror", "drama", "poetry",
               "adventure", "fables", "noir", "crime fiction", "science fiction", "comedy", "tragedy")
TITLE_ADJECTIVES = ("Glass", "Silent", "Hollow", "Burning", "Forgotten", "Crimson", "Quiet", "Broken",
                    "Hidden", "Endless", "Golden", "Frozen", "Wandering", "Last", "Paper", "Salt", "Iron",
                    "Velvet", "Distant", "Sleeping", "Northern", "Bitter", "Hungry", "Painted", "Lonely",
                    "Shattered", "Drowned", "Secret", "Winter", "Summer", "Copper", "Restless", "Pale",
                    "Twelfth", "Midnight", "Scarlet", "Wild", "Gentle", "Crooked", "Falling")
TITLE_NOUNS = ("Orchard", "Lantern", "Harbour", "Garden", "Mirror", "River", "Tower", "Compass", "Violin",
               "Lighthouse", "Forest", "Kingdom", "Letter", "Window", "Bridge", "Mountain", "Island", "Clock",
               "Map", "Feather", "Crown", "Meadow", "Orchestra", "Circus", "Library", "Cathedral", "Market",
               "Winter", "Shore", "Engine", "Balcony", "Ferry", "Vineyard", "Observatory", "Teacup",
               "Station", "Archive", "Carousel", "Kite", "Labyrinth")
TITLE_PLURALS = ("Songs", "Letters", "Ghosts", "Shadows", "Daughters", "Keepers", "Echoes", "Stories",
                 "Children", "Thieves", "Gardens", "Secrets", "Maps", "Bells", "Storms", "Ashes", "Wolves",
                 "Lanterns", "Sisters", "Birds")
TITLE_PATTERNS = ("The {adj} {noun}", "{plural} of the {adj} {noun}", "The {noun} and the {noun2}",
                  "{plural} from {place}", "A {noun} in {place}", "The {adj} {plural}")
AWARD_WORDS = ("Silver", "Golden", "Amber", "Crimson", "Ivory", "Azure", "Emerald", "Scarlet", "Copper",
               "Bronze", "Velvet", "Crystal", "Jade", "Onyx", "Marble", "Cobalt", "Pearl", "Violet",
               "Northern", "Evening")
AWARD_NOUNS = ("Lantern", "Quill", "Feather", "Compass", "Anchor", "Key", "Crown", "Oak", "Raven", "Lily",
               "Harbour", "Bell", "Arrow", "Mirror", "Owl", "Star", "Tower", "Leaf", "Rose", "Wolf")
AWARD_KINDS = ("Prize", "Award", "Medal")
PUBLISHER_WORDS = ("Blue", "Red", "Green", "Grey", "White", "Black", "Little", "Tall", "Old", "North",
                   "South", "Bright", "Hidden", "Twin", "Quiet", "Swift", "Silver", "Lucky", "Wide", "Deep")
PUBLISHER_NOUNS = ("Heron", "Fox", "Willow", "Harbor", "Stone", "Birch", "Lark", "Badger", "Thistle",
                   "Meadow", "River", "Hill", "Sparrow", "Lantern", "Gate", "Moth", "Pine", "Otter",
                   "Beacon", "Orchard")
PUBLISHER_KINDS = ("Press", "Books", "House", "Editions", "Publishing")
JOBS = ("baker", "barber", "beekeeper", "blacksmith", "bookbinder", "botanist", "bricklayer", "butcher",
        "carpenter", "cartographer", "chemist", "clockmaker", "cobbler", "dentist", "diplomat", "dockworker",
        "fisherman", "florist", "geologist", "glassblower", "gardener", "hairdresser", "harpist",
        "journalist", "judge", "lawyer", "librarian", "lighthouse keeper", "locksmith", "mapmaker",
        "mechanic", "midwife", "miner", "musician", "nurse", "painter", "paramedic", "pharmacist",
        "photographer", "physicist", "pilot", "plumber", "police officer", "postman", "potter", "printer",
        "radio host", "sailor", "school teacher", "sculptor", "shepherd", "shoemaker", "surgeon", "tailor",
        "taxi driver", "translator", "veterinarian", "violinist", "watchmaker", "weaver", "welder",
        "zoologist", "chef", "dancer", "farmer", "firefighter", "banker", "cook", "tax collector", "stonemason")
SUBJECTS = ("marine biology", "medieval history", "classical music", "mathematics", "philosophy", "law",
            "medicine", "architecture", "chemistry", "astronomy", "economics", "linguistics", "geology",
            "theology", "fine art", "journalism", "psychology", "botany", "civil engineering", "anthropology",
            "archaeology", "political science", "film studies", "agriculture", "nursing", "accounting",
            "physics", "sociology", "zoology", "veterinary science", "computer science", "ancient Greek",
            "Russian literature", "photography", "theatre", "dance", "graphic design", "statistics",
            "oceanography", "forestry", "pharmacy", "art history", "music theory", "meteorology",
            "urban planning", "nutrition", "criminology", "ecology", "Latin", "cartography", "sculpture",
            "chemical engineering", "Japanese", "public health", "geography", "neuroscience", "education",
            "fashion design", "Arabic", "genetics")
ANIMALS = ("snow leopard", "red kite", "grey wolf", "white stork", "golden eagle", "river otter", "lynx",
           "brown bear", "black swan", "fire salamander", "barn owl", "blue heron", "mountain goat",
           "sea turtle", "fennec fox", "peacock", "bison", "flamingo", "kingfisher", "red deer", "walrus",
           "pangolin", "condor", "hedgehog", "jaguar", "crane", "moose", "pelican", "badger", "seal",
           "tiger", "zebra", "camel", "falcon", "beaver", "dolphin", "ibex", "toucan", "yak", "koala")
CURRENCY_WORDS = ("golden", "silver", "copper", "iron", "new", "royal", "northern", "eastern", "sea",
                  "stone")
CURRENCY_UNITS = ("crown", "mark", "florin", "ducat", "shell", "talon", "lira", "shilling", "guilder",
                  "penny", "dinar", "thaler")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _join(rng: Random, starts: tuple[str, ...], mids: tuple[str, ...], ends: tuple[str, ...]) -> str:
    return rng.choice(starts) + rng.choice(mids) + rng.choice(ends)


def person(rng: Random) -> str:
    """First and last name from parts (40*5*20 first names x 40*25 last names: about 4 million)."""
    return f"{_join(rng, FIRST_STARTS, FIRST_MIDS, FIRST_ENDS)} {_join(rng, LAST_STARTS, ('',), LAST_ENDS)}"


def country(rng: Random) -> str:
    return _join(rng, PLACE_STARTS, PLACE_MIDS, COUNTRY_ENDS)


def town(rng: Random) -> str:
    return _join(rng, PLACE_STARTS, PLACE_MIDS, TOWN_ENDS)


def peak(rng: Random) -> str:
    return _join(rng, PLACE_STARTS, PLACE_MIDS, PEAK_ENDS)


def language(rng: Random) -> str:
    return _join(rng, PLACE_STARTS, PLACE_MIDS, LANGUAGE_ENDS)


def city(rng: Random) -> str:
    return rng.choice(CITIES)


def genre(rng: Random) -> str:
    return f"{rng.choice(GENRE_KINDS)} {rng.choice(GENRE_FORMS)}"


def title(rng: Random) -> str:
    """A book title from one of several patterns (tens of thousands of combinations)."""
    noun, noun2 = rng.sample(TITLE_NOUNS, 2)
    return rng.choice(TITLE_PATTERNS).format(adj=rng.choice(TITLE_ADJECTIVES), noun=noun, noun2=noun2,
                                             plural=rng.choice(TITLE_PLURALS), place=town(rng))


def award(rng: Random) -> str:
    return f"{rng.choice(AWARD_WORDS)} {rng.choice(AWARD_NOUNS)} {rng.choice(AWARD_KINDS)}"


def publisher(rng: Random) -> str:
    return f"{rng.choice(PUBLISHER_WORDS)} {rng.choice(PUBLISHER_NOUNS)} {rng.choice(PUBLISHER_KINDS)}"


def job(rng: Random) -> str:
    return rng.choice(JOBS)


def subject(rng: Random) -> str:
    return rng.choice(SUBJECTS)


def animal(rng: Random) -> str:
    return rng.choice(ANIMALS)


def currency(rng: Random) -> str:
    return f"{rng.choice(CURRENCY_WORDS)} {rng.choice(CURRENCY_UNITS)}"


def year(low: int, high: int):
    """A maker of years in [low, high]."""
    return lambda rng: str(rng.randint(low, high))


def birth_date(rng: Random) -> tuple[int, str]:
    """Day and month (day <= 28, valid in every month)."""
    return rng.randint(1, 28), rng.choice(MONTHS)
