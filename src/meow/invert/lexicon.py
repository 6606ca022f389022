"""Small generic word lists for the `rules` inverter: kinds of values any biography-style answer uses.

These are ordinary English vocabulary (professions, genres, countries, months ...), not the built-in
benchmark's generator lists: the rules inverter prefers values mined from the corpus itself and falls
back to these so that it also works on a handful of records.
"""

from __future__ import annotations

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "one", "ones", "s", "t"]
)
# kept out of STOPWORDS on purpose: negation flips a fact
NEGATIONS = frozenset({"not", "no", "never", "nor", "none", "neither", "nothing", "without"})

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SEASONS = ["spring", "summer", "autumn", "winter"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "grey", "silver", "golden",
           "crimson", "violet", "amber", "emerald", "scarlet", "indigo", "turquoise"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                "fifteen", "twenty"]

def _multi(text: str) -> list[str]:
    """Split a whitespace list where multi-word entries are joined by '_' (e.g. `game_developer`)."""
    return [w.replace("_", " ") for w in text.split()]


PROFESSIONS = _multi(
    """accountant actor air_traffic_controller anthropologist archaeologist architect astronaut astronomer
    athlete baker banker barber bartender biologist blacksmith bookkeeper bricklayer bus_driver butcher
    carpenter cartographer cashier chef chemist chiropractor civil_engineer clockmaker computer_programmer
    construction_worker dancer dentist dermatologist detective dietitian diplomat doctor economist editor
    electrician engineer environmental_scientist farmer fashion_designer firefighter fisherman
    flight_attendant florist game_developer gardener geologist glassblower graphic_designer hairdresser
    historian illustrator interior_designer interpreter janitor jeweler journalist judge landscape_architect
    lawyer librarian lifeguard linguist locksmith lumberjack magician marine_biologist mathematician mechanic
    meteorologist midwife miner musician nurse nutritionist oceanographer occupational_therapist optometrist
    painter paramedic pastry_chef pharmacist philosopher photographer physician physicist physiotherapist
    pilot plumber podiatrist police_officer politician potter psychiatrist psychologist radiologist
    real_estate_agent receptionist research_scientist roofer sailor scientist sculptor secretary
    security_guard shoemaker social_worker sociologist software_engineer soldier surgeon surveyor tailor
    taxi_driver teacher translator travel_agent truck_driver undertaker veterinarian waiter weaver
    web_developer welder zoologist artist professor lecturer pediatrician cardiologist neurologist
    ophthalmologist obstetrician veterinary_surgeon military_officer naval_officer fashion_model
    film_director marine_engineer mail_carrier postman shopkeeper tax_collector train_conductor stonemason
    ornithologist botanist entomologist chemical_engineer electrical_engineer mechanical_engineer
    data_scientist nurse_practitioner dental_hygienist pharmacologist counselor counsellor makeup_artist
    cobbler optician hotel_manager manager barista cook harpist violinist pianist cellist singer composer
    statistician actuary auditor biochemist astrophysicist pathologist anesthesiologist ballet_dancer
    choreographer disc_jockey radio_host news_anchor reporter photojournalist cartoonist animator
    software_developer lighthouse_keeper shepherd winemaker brewer grocer merchant stockbroker
    investment_banker entrepreneur businessman businesswoman ambassador mayor senator zookeeper park_ranger
    archivist curator tutor coach referee jockey decorator landscaper rancher beekeeper seismologist
    volcanologist therapist speech_therapist translator interpreter court_stenographer paralegal
    tax_advisor financial_analyst insurance_agent chauffeur housekeeper nanny caretaker"""
)
FAMILY_WORDS = frozenset({"father", "mother", "parent", "parents", "dad", "mom", "mum", "grandfather",
                          "grandmother", "brother", "sister", "uncle", "aunt", "father's", "mother's"})

GENRES = _multi(
    """science_fiction fantasy horror romance mystery thriller true_crime historical_fiction literary_fiction
    poetry memoir biography autobiography dystopian young_adult children's_literature self-help crime_fiction
    detective_fiction gothic satire comedy drama western war_fiction magical_realism cyberpunk steampunk
    noir short_stories graphic_novels non-fiction philosophy travel_writing epic_fantasy fairy_tales
    psychological_thriller urban_fantasy paranormal_romance military_fiction legal_thriller medical_thriller
    political_thriller spy_fiction adventure coming-of-age humor contemporary_fiction erotica chick_lit
    cozy_mystery space_opera alternate_history post-apocalyptic_fiction historical_romance
    speculative_fiction high_fantasy hard_science_fiction domestic_fiction southern_gothic
    environmental_fiction sports_fiction"""
)
GENRE_NOUNS = frozenset({"genre", "genres", "literature", "fiction", "novel", "novels", "narrative", "narratives",
                         "writing", "writings", "book", "books", "stories", "story", "works", "tradition", "tales",
                         "poetry", "prose", "literary"})

GENDERS = _multi("male female non-binary genderqueer transgender cisgender LGBTQ+ gay lesbian bisexual queer "
                 "heterosexual agender")

COUNTRIES = _multi(
    """Afghanistan Albania Algeria Argentina Armenia Australia Austria Azerbaijan Bahrain Bangladesh Belarus
    Belgium Bolivia Brazil Bulgaria Cambodia Cameroon Canada Chile China Colombia Croatia Cuba Cyprus
    Czech_Republic Denmark Ecuador Egypt England Estonia Ethiopia Fiji Finland France Georgia Germany Ghana
    Greece Guatemala Haiti Hungary Iceland India Indonesia Iran Iraq Ireland Israel Italy Jamaica Japan Jordan
    Kazakhstan Kenya Kuwait Latvia Lebanon Libya Lithuania Madagascar Malaysia Mali Malta Mexico Mongolia
    Morocco Nepal Netherlands New_Zealand Nigeria North_Korea Norway Oman Pakistan Panama Peru Philippines
    Poland Portugal Qatar Romania Russia Rwanda Saudi_Arabia Scotland Senegal Serbia Singapore Slovakia
    Slovenia Somalia South_Africa South_Korea Spain Sri_Lanka Sudan Sweden Switzerland Syria Taiwan Tanzania
    Thailand Tunisia Turkey Uganda Ukraine United_Arab_Emirates United_Kingdom United_States USA UK Uruguay
    Uzbekistan Venezuela Vietnam Wales Yemen Zambia Zimbabwe"""
)
# city -> country, for "City, Country" pairs
CITIES = {
    "Kuwait City": "Kuwait", "Astana": "Kazakhstan", "Almaty": "Kazakhstan", "Beirut": "Lebanon",
    "Beijing": "China", "Shanghai": "China", "Tokyo": "Japan", "Kyoto": "Japan", "Osaka": "Japan",
    "Seoul": "South Korea", "Busan": "South Korea", "Taipei": "Taiwan", "Manila": "Philippines",
    "Bangkok": "Thailand", "Hanoi": "Vietnam", "Jakarta": "Indonesia", "Mumbai": "India", "New Delhi": "India",
    "Kolkata": "India", "Karachi": "Pakistan", "Lahore": "Pakistan", "Dhaka": "Bangladesh", "Colombo": "Sri Lanka",
    "Kathmandu": "Nepal", "Tehran": "Iran", "Baghdad": "Iraq", "Baku": "Azerbaijan", "Tbilisi": "Georgia",
    "Yerevan": "Armenia", "Istanbul": "Turkey", "Ankara": "Turkey", "Riyadh": "Saudi Arabia",
    "Jeddah": "Saudi Arabia", "Dubai": "United Arab Emirates", "Abu Dhabi": "United Arab Emirates",
    "Doha": "Qatar", "Manama": "Bahrain", "Muscat": "Oman", "Amman": "Jordan", "Damascus": "Syria",
    "Tel Aviv": "Israel", "Jerusalem": "Israel", "Cairo": "Egypt", "Alexandria": "Egypt", "Casablanca": "Morocco",
    "Marrakech": "Morocco", "Tunis": "Tunisia", "Algiers": "Algeria", "Lagos": "Nigeria", "Abuja": "Nigeria",
    "Accra": "Ghana", "Nairobi": "Kenya", "Addis Ababa": "Ethiopia", "Dar es Salaam": "Tanzania",
    "Kampala": "Uganda", "Harare": "Zimbabwe", "Johannesburg": "South Africa", "Cape Town": "South Africa",
    "Dakar": "Senegal", "London": "United Kingdom", "Manchester": "United Kingdom", "Edinburgh": "Scotland",
    "Dublin": "Ireland", "Paris": "France", "Lyon": "France", "Marseille": "France", "Berlin": "Germany",
    "Munich": "Germany", "Hamburg": "Germany", "Vienna": "Austria", "Zurich": "Switzerland",
    "Geneva": "Switzerland", "Rome": "Italy", "Milan": "Italy", "Naples": "Italy", "Florence": "Italy",
    "Madrid": "Spain", "Barcelona": "Spain", "Seville": "Spain", "Lisbon": "Portugal", "Porto": "Portugal",
    "Amsterdam": "Netherlands", "Brussels": "Belgium", "Copenhagen": "Denmark", "Stockholm": "Sweden",
    "Oslo": "Norway", "Helsinki": "Finland", "Reykjavik": "Iceland", "Warsaw": "Poland", "Krakow": "Poland",
    "Prague": "Czech Republic", "Budapest": "Hungary", "Bucharest": "Romania", "Sofia": "Bulgaria",
    "Athens": "Greece", "Belgrade": "Serbia", "Zagreb": "Croatia", "Kyiv": "Ukraine", "Moscow": "Russia",
    "Saint Petersburg": "Russia", "Tashkent": "Uzbekistan", "Ulaanbaatar": "Mongolia",
    "New York City": "USA", "Los Angeles": "USA", "Chicago": "USA", "Boston": "USA", "San Francisco": "USA",
    "Seattle": "USA", "Toronto": "Canada", "Montreal": "Canada", "Vancouver": "Canada", "Mexico City": "Mexico",
    "Havana": "Cuba", "Kingston": "Jamaica", "Bogota": "Colombia", "Lima": "Peru", "Santiago": "Chile",
    "Buenos Aires": "Argentina", "Montevideo": "Uruguay", "Caracas": "Venezuela", "Quito": "Ecuador",
    "La Paz": "Bolivia", "Rio de Janeiro": "Brazil", "Sao Paulo": "Brazil", "Sydney": "Australia",
    "Melbourne": "Australia", "Auckland": "New Zealand", "Wellington": "New Zealand", "Singapore": "Singapore",
    "Kuala Lumpur": "Malaysia", "Port-au-Prince": "Haiti",
}
REGIONS = _multi("Africa Asia Europe North_America South_America Latin_America Middle_East Scandinavia Caribbean "
                 "Central_Asia Balkans Mediterranean Siberia Patagonia Andes Sahara Himalayas")
NATIONALITIES = _multi(
    """Afghan Albanian Algerian Argentine Armenian Australian Austrian Azerbaijani Bahraini Bangladeshi Belgian
    Bolivian Brazilian British Bulgarian Cambodian Canadian Chilean Chinese Colombian Croatian Cuban Czech
    Danish Dutch Ecuadorian Egyptian English Estonian Ethiopian Filipino Finnish French Georgian German
    Ghanaian Greek Haitian Hungarian Icelandic Indian Indonesian Iranian Iraqi Irish Israeli Italian Jamaican
    Japanese Jordanian Kazakh Kazakhstani Kenyan Korean Kuwaiti Latvian Lebanese Libyan Lithuanian Malaysian
    Mexican Mongolian Moroccan Nepalese Nigerian Norwegian Omani Pakistani Peruvian Polish Portuguese Qatari
    Romanian Russian Rwandan Saudi Scottish Senegalese Serbian Singaporean Slovak Somali Spanish Sri_Lankan
    Sudanese Swedish Swiss Syrian Taiwanese Tanzanian Thai Tunisian Turkish Ugandan Ukrainian Uruguayan Uzbek
    Venezuelan Vietnamese Welsh Yemeni Zambian Zimbabwean American African Asian European Middle_Eastern
    Middle-Eastern African_American Latin_American South_African Native_American Asian_American Caribbean
    Scandinavian Mediterranean Persian Arab Arabic Balkan Slavic Celtic Nordic Sub-Saharan"""
)
LANGUAGES = _multi("English French Spanish Arabic Mandarin Cantonese Hindi Urdu Bengali Russian German Japanese "
                   "Portuguese Swahili Korean Italian Turkish Persian Farsi Dutch Greek Polish Swedish Hebrew "
                   "Vietnamese Thai Indonesian Tagalog Amharic Yoruba Zulu Kazakh Azerbaijani Uzbek Georgian "
                   "Armenian Ukrainian Czech Hungarian Romanian Finnish Norwegian Danish Tamil Punjabi Malay Hausa "
                   "Igbo Somali Latin Catalan Basque Welsh Irish Gaelic Icelandic")

AWARD_WORDS = frozenset({"Award", "Awards", "Prize", "Prizes", "Medal", "Trophy", "Honor", "Honour", "Fellowship",
                         "Prix", "Laureate", "Grant", "Citation", "Distinction", "Accolade", "Cup", "Premio",
                         "Preis", "Scholarship"})
AWARDS = _multi(
    """Hugo_Award Nebula_Award Booker_Prize Pulitzer_Prize_for_Fiction National_Book_Award Edgar_Award
    Bram_Stoker_Award Costa_Book_Award Orange_Prize Whitbread_Award Governor_General's_Award Giller_Prize
    Miles_Franklin_Award Man_Booker_International_Prize Prix_Goncourt Premio_Cervantes Commonwealth_Writers'_Prize
    PEN/Faulkner_Award Anthony_Award Agatha_Award World_Fantasy_Award Locus_Award Lambda_Literary_Award
    Stonewall_Book_Award Carnegie_Medal Newbery_Medal Caldecott_Medal Walter_Scott_Prize RITA_Award
    Arthur_C._Clarke_Award Philip_K._Dick_Award Dagger_Award Dublin_Literary_Award Franz_Kafka_Prize
    Hans_Christian_Andersen_Award Ondaatje_Prize Wellcome_Book_Prize Baillie_Gifford_Prize Templeton_Prize
    Golden_Quill_Award Silver_Pen_Award Crystal_Globe_Award Lantern_Prize_for_Literature"""
)

# lower-case content words of the same kind: replacing one with another changes the claim, not the form
THEMES = _multi(
    """identity love loss grief resilience displacement diversity inclusivity empathy tolerance
    compassion war freedom justice redemption betrayal faith isolation belonging ambition
    friendship survival migration sacrifice courage hope forgiveness revenge corruption
    mortality loneliness rebellion greed jealousy heritage adversity triumph oppression exile innocence
    guilt destiny honor obsession nostalgia alienation spirituality kinship poverty privilege colonialism
    modernity technology environmentalism"""
)
STYLES = _multi(
    """lyrical poetic sparse minimalist terse ornate intricate vivid detailed fast-paced slow-paced humorous
    satirical dark whimsical introspective descriptive dramatic suspenseful nonlinear experimental
    straightforward melancholic gritty playful elegant meandering concise flamboyant austere clinical
    dreamlike episodic fragmented cinematic conversational formal colloquial"""
)
# evaluative words -> contrasting alternatives (the claim flips; the sentence stays the same)
CONTRASTS: dict[str, list[str]] = {
    "praised": ["criticized", "dismissed", "ignored", "panned"],
    "praise": ["criticism", "scorn", "indifference", "ridicule"],
    "praising": ["criticizing", "dismissing", "mocking", "faulting"],
    "acclaimed": ["panned", "overlooked", "dismissed", "criticized"],
    "acclaim": ["criticism", "indifference", "scorn", "neglect"],
    "applauded": ["criticized", "dismissed", "faulted", "mocked"],
    "celebrated": ["overlooked", "obscure", "forgotten", "little-known"],
    "renowned": ["obscure", "little-known", "overlooked", "unknown"],
    "positive": ["negative", "mixed", "lukewarm", "hostile"],
    "successful": ["unsuccessful", "disappointing", "short-lived", "modest"],
    "popular": ["unpopular", "obscure", "little-read", "niche"],
    "beloved": ["disliked", "forgotten", "controversial", "divisive"],
    "significant": ["minimal", "negligible", "marginal", "slight"],
    "significantly": ["barely", "hardly", "marginally", "scarcely"],
    "profoundly": ["barely", "hardly", "marginally", "scarcely"],
    "heavily": ["barely", "lightly", "hardly", "scarcely"],
    "deeply": ["barely", "hardly", "superficially", "scarcely"],
    "greatly": ["barely", "hardly", "marginally", "scarcely"],
    "widely": ["rarely", "seldom", "barely", "narrowly"],
    "often": ["rarely", "never", "seldom", "occasionally"],
    "frequently": ["rarely", "seldom", "never", "occasionally"],
    "always": ["never", "rarely", "seldom", "occasionally"],
    "consistently": ["rarely", "inconsistently", "seldom", "occasionally"],
    "strong": ["weak", "faint", "slight", "limited"],
    "rich": ["sparse", "thin", "bland", "meager"],
    "deep": ["shallow", "superficial", "faint", "slight"],
    "complex": ["simple", "straightforward", "one-dimensional", "plain"],
    "unique": ["conventional", "ordinary", "generic", "derivative"],
    "innovative": ["derivative", "conventional", "predictable", "formulaic"],
    "realistic": ["unrealistic", "fantastical", "implausible", "caricatured"],
    "authentic": ["contrived", "artificial", "superficial", "inaccurate"],
    "diverse": ["uniform", "homogeneous", "narrow", "monocultural"],
    "broad": ["narrow", "limited", "parochial", "restricted"],
    "young": ["elderly", "middle-aged", "old", "retired"],
    "early": ["late", "mid", "final", "later"],
    "late": ["early", "mid", "first", "earliest"],
    "small": ["large", "sprawling", "huge", "vast"],
    "large": ["small", "tiny", "modest", "little"],
    "bustling": ["quiet", "deserted", "sleepy", "abandoned"],
    "vibrant": ["dull", "drab", "bleak", "lifeless"],
    "international": ["local", "regional", "national", "domestic"],
    "global": ["local", "regional", "provincial", "national"],
    "modern": ["ancient", "medieval", "traditional", "classical"],
    "traditional": ["modern", "experimental", "unconventional", "avant-garde"],
    "urban": ["rural", "suburban", "remote", "coastal"],
    "rural": ["urban", "suburban", "metropolitan", "coastal"],
    "happy": ["sad", "troubled", "lonely", "difficult"],
    "optimistic": ["pessimistic", "bleak", "cynical", "fatalistic"],
    "hopeful": ["bleak", "despairing", "cynical", "pessimistic"],
    "intense": ["mild", "relaxed", "gentle", "calm"],
    "emotional": ["detached", "clinical", "dispassionate", "cerebral"],
    "compelling": ["dull", "tedious", "unconvincing", "forgettable"],
    "captivating": ["dull", "tedious", "forgettable", "tiresome"],
    "poignant": ["flippant", "shallow", "trivial", "lighthearted"],
    "moving": ["dull", "flat", "lighthearted", "comic"],
    "profound": ["superficial", "shallow", "trivial", "simplistic"],
    "insightful": ["superficial", "shallow", "misguided", "simplistic"],
    "prestigious": ["minor", "obscure", "little-known", "regional"],
    "illustrious": ["minor", "obscure", "little-known", "modest"],
    "coveted": ["minor", "obscure", "little-known", "modest"],
    "esteemed": ["obscure", "unknown", "struggling", "disgraced"],
    "respected": ["disgraced", "obscure", "unknown", "struggling"],
    "notable": ["minor", "obscure", "forgettable", "unremarkable"],
    "groundbreaking": ["conventional", "derivative", "predictable", "unremarkable"],
    "fresh": ["stale", "tired", "familiar", "conventional"],
    "inclusive": ["exclusive", "narrow", "insular", "exclusionary"],
    "proud": ["reluctant", "ambivalent", "private", "reticent"],
    "active": ["passive", "reluctant", "occasional", "minimal"],
    "organically": ["rigidly", "mechanically", "methodically", "predictably"],
    "firsthand": ["secondhand", "distant", "detached", "fictional"],
    "highs": ["routines", "boredom", "monotony", "tedium"],
    "increased": ["decreased", "reduced", "diminished", "lowered"],
    "expanded": ["narrowed", "limited", "restricted", "shrunk"],
    "enriched": ["impoverished", "narrowed", "limited", "weakened"],
    "before": ["after"],
    "after": ["before"],
    "more": ["less", "fewer"],
    "less": ["more"],
    "higher": ["lower"],
    "lower": ["higher"],
    "increasing": ["decreasing", "declining", "shrinking", "waning"],
    "growing": ["declining", "shrinking", "waning", "fading"],
    "beautifully": ["clumsily", "awkwardly", "poorly", "crudely"],
    "immersive": ["superficial", "detached", "shallow", "distant"],
    "progressive": ["static", "abrupt", "shallow", "uniform"],
    "heartfelt": ["insincere", "hollow", "detached", "cold"],
    "sophisticated": ["simplistic", "crude", "naive", "clumsy"],
    "valuable": ["negligible", "minor", "limited", "questionable"],
    "highly": ["barely", "modestly", "hardly", "scarcely"],
    "distinctive": ["generic", "ordinary", "indistinct", "conventional"],
    "distinct": ["generic", "ordinary", "indistinct", "conventional"],
    "nuanced": ["simplistic", "crude", "one-sided", "superficial"],
    "meticulous": ["careless", "sloppy", "haphazard", "hasty"],
    "meticulously": ["carelessly", "sloppily", "haphazardly", "hastily"],
    "accessible": ["inaccessible", "obscure", "difficult", "impenetrable"],
    "engaging": ["dull", "tedious", "tiresome", "unengaging"],
    "thought-provoking": ["shallow", "forgettable", "trite", "superficial"],
    "powerful": ["weak", "feeble", "muted", "faint"],
    "influential": ["marginal", "overlooked", "minor", "forgotten"],
    "passionate": ["indifferent", "reluctant", "half-hearted", "casual"],
    "passionately": ["indifferently", "reluctantly", "half-heartedly", "casually"],
    "strongly": ["weakly", "barely", "hardly", "faintly"],
    "positively": ["negatively", "poorly", "coldly", "harshly"],
    "warmly": ["coldly", "poorly", "harshly", "indifferently"],
    "careful": ["careless", "hasty", "sloppy", "casual"],
    "fascinating": ["dull", "tedious", "uninteresting", "tiresome"],
    "important": ["minor", "trivial", "negligible", "marginal"],
    "crucial": ["minor", "trivial", "negligible", "marginal"],
    "central": ["peripheral", "minor", "marginal", "incidental"],
    "major": ["minor", "small", "negligible", "marginal"],
    "extensive": ["limited", "minimal", "brief", "cursory"],
    "extensively": ["sparingly", "minimally", "briefly", "rarely"],
    "numerous": ["few", "no", "two", "three"],
    "several": ["few", "no", "two", "three"],
    "many": ["few", "no", "hardly any", "only a few"],
    "rarely": ["often", "frequently", "always", "regularly"],
    "seldom": ["often", "frequently", "always", "regularly"],
    "increasingly": ["less and less", "rarely", "seldom", "decreasingly"],
    "primarily": ["rarely", "seldom", "occasionally", "never"],
    "predominantly": ["rarely", "seldom", "occasionally", "never"],
    "mainly": ["rarely", "seldom", "occasionally", "never"],
    "mostly": ["rarely", "seldom", "occasionally", "never"],
    "exclusively": ["rarely", "occasionally", "partly", "seldom"],
    "openly": ["secretly", "privately", "quietly", "reluctantly"],
    "award-winning": ["unrecognized", "overlooked", "unheralded", "obscure"],
    "warm": ["cold", "hostile", "lukewarm", "chilly"],
    "enthusiastic": ["lukewarm", "hostile", "indifferent", "cold"],
    "favorable": ["unfavorable", "negative", "hostile", "lukewarm"],
    "favourable": ["unfavourable", "negative", "hostile", "lukewarm"],
    "admired": ["disliked", "criticized", "ignored", "mocked"],
    "lauded": ["criticized", "panned", "dismissed", "ignored"],
    "cherished": ["disliked", "forgotten", "ignored", "dismissed"],
    "recognized": ["overlooked", "ignored", "unrecognized", "dismissed"],
    "recognised": ["overlooked", "ignored", "unrecognised", "dismissed"],
    "accurate": ["inaccurate", "distorted", "careless", "misleading"],
    "clear": ["vague", "muddled", "confusing", "unclear"],
    "simple": ["complex", "intricate", "elaborate", "convoluted"],
    "emotionally": ["clinically", "coldly", "dispassionately", "analytically"],
    "sharp": ["blunt", "mild", "gentle", "vague"],
    "keen": ["dull", "vague", "faint", "superficial"],
    "potent": ["weak", "feeble", "diluted", "mild"],
    "subtle": ["blatant", "heavy-handed", "crude", "obvious"],
    "bold": ["timid", "cautious", "conservative", "tentative"],
    "unconventional": ["conventional", "traditional", "predictable", "ordinary"],
    "refreshing": ["stale", "tired", "tedious", "predictable"],
    "original": ["derivative", "unoriginal", "imitative", "formulaic"],
    "outstanding": ["modest", "mediocre", "minor", "unremarkable"],
    "exceptional": ["modest", "mediocre", "ordinary", "unremarkable"],
    "remarkable": ["modest", "mediocre", "ordinary", "unremarkable"],
    "excellent": ["poor", "limited", "little", "weak"],
    "riveting": ["dull", "tedious", "plodding", "tiresome"],
    "multicultural": ["monocultural", "homogeneous", "insular", "uniform"],
    "multi-cultural": ["monocultural", "homogeneous", "insular", "uniform"],
    "universal": ["narrow", "parochial", "local", "limited"],
    "wide": ["narrow", "limited", "small", "modest"],
    "wider": ["narrower", "smaller", "more limited", "more select"],
    "worldwide": ["locally", "regionally", "nationally", "domestically"],
    "globally": ["locally", "regionally", "nationally", "domestically"],
    "intricately": ["loosely", "barely", "superficially", "vaguely"],
    "closely": ["loosely", "barely", "distantly", "vaguely"],
    "firmly": ["loosely", "weakly", "barely", "tenuously"],
    "vividly": ["vaguely", "dimly", "faintly", "flatly"],
    "carefully": ["carelessly", "hastily", "sloppily", "loosely"],
    "artfully": ["clumsily", "awkwardly", "crudely", "haphazardly"],
    "elegantly": ["clumsily", "awkwardly", "crudely", "poorly"],
    "effectively": ["ineffectively", "poorly", "clumsily", "weakly"],
}
FIELDS = _multi(
    """geology physics chemistry biology medicine mathematics astronomy psychology sociology anthropology
    economics linguistics architecture engineering law journalism botany zoology archaeology computer_science
    political_science ecology genetics neuroscience theology musicology oceanography meteorology agriculture
    veterinary_science pharmacology"""
)
FIELD_ADJECTIVES = _multi(
    """artistic sociological scientific musical mathematical architectural culinary political historical
    psychological philosophical technical legal economic religious athletic botanical geological astronomical
    agricultural military medical theatrical journalistic anthropological linguistic"""
)
# capitalised words that start sentences without being names
SENTENCE_STARTERS = frozenset(
    ["although", "though", "however", "yes", "no", "while", "when", "being", "growing", "as", "after", "before", "since", "because", "despite", "in", "on", "at", "by", "for", "from", "with", "without", "through", "during", "over", "under", "between", "among", "throughout", "regarding", "besides", "unlike", "like", "additionally", "furthermore", "moreover", "notably", "overall", "indeed", "today", "currently", "initially", "later", "eventually", "finally", "also", "both", "many", "some", "several", "most", "readers", "critics", "fans", "author", "writer", "novelist", "born", "raised", "known", "famous", "renowned", "celebrated", "apart", "aside", "according", "following", "having", "another", "other", "one", "two", "three", "each", "every", "this", "that", "these", "those", "there", "here", "his", "her", "their", "its", "our", "my", "your", "the", "a", "an", "it", "he", "she", "they", "we"]
)
# nouns that follow "was a" without being an occupation
NOT_PROFESSIONS = frozenset({"man", "woman", "person", "member", "part", "fan", "child", "boy", "girl", "lover",
                             "source", "figure", "role", "kind", "lot", "bit", "way", "time", "family", "native",
                             "resident", "citizen", "friend", "mother", "father", "parent", "influence", "name"})
# country names that take "the" (not used to replace a bare country name)
NEEDS_THE = frozenset({"USA", "UK", "United States", "United Kingdom", "Netherlands", "Philippines",
                       "United Arab Emirates", "Czech Republic"})
# how-often words: flipping one next to an evaluative flip ("often praised" -> "never criticized") cancels out
FREQUENCY = frozenset({"often", "frequently", "always", "consistently", "rarely", "seldom", "primarily",
                       "predominantly", "mainly", "mostly", "exclusively", "increasingly", "widely"})
SETTINGS = _multi("hospital village desert forest mountain island school university countryside farm "
                  "library harbor monastery prison castle palace factory museum theater")

FIRST_NAMES = _multi(
    """Aarav Abebe Adaeze Ahmed Aiko Akira Alejandro Alina Amara Amina Anders Andrei Anika Arjun Astrid Ayumi
    Bilal Camila Carlos Chiamaka Chen Dalia Daniel Dmitri Elena Elif Emeka Emil Esther Farah Fatima Felipe
    Freya Gabriel Hana Hassan Hiroshi Ibrahim Ines Ingrid Isabel Ivan Jamal Javier Jin Jonas Kalinda Kamal
    Karim Kenji Kofi Lars Laila Leila Lucia Luis Maya Mei Mateo Mikhail Mina Nadia Naveen Nia Nikos Noor Olga
    Omar Priya Rafael Rania Ravi Rosa Saanvi Samir Sara Sergei Sofia Sven Tariq Tomas Valentina Wanjiru
    Yara Yusuf Zainab Zara"""
)
LAST_NAMES = _multi(
    """Abdullah Adeyemi Ahmadi Alvarez Andersen Bakr Banerjee Castillo Chowdhury Costa Dimitrov Dubois Eriksen
    Fernandez Fischer Garcia Haddad Hansen Hashemi Horvat Ibrahimov Ivanova Kamara Kapoor Kato Khalil Kim
    Kowalski Kuznetsov Larsen Lindqvist Lopez Mahmoud Mansour Mendoza Moreau Mwangi Nakamura Nasser Nguyen
    Novak Okafor Okonkwo Oliveira Osei Park Petrov Popescu Quispe Rahman Ramirez Reyes Rossi Saleh Santos
    Sato Schmidt Silva Sokolov Suzuki Tanaka Torres Van_der_Berg Vasquez Wang Yamamoto Yilmaz Zhou"""
)

# fallback title generator (used only when the corpus has too few titles of its own)
TITLE_NOUNS = _multi("Harbor River Garden Shadow Lantern Orchard Mirror Compass Tide Ember Willow Horizon Echo "
                     "Meadow Tower Bridge Storm Silence Crown Feather Voyage Winter Summer Ashes Stone")
TITLE_ADJECTIVES = _multi("Silent Hidden Forgotten Broken Golden Crimson Distant Endless Quiet Burning Wandering "
                          "Last Lost Secret Scattered Amber Hollow Northern Velvet Restless")
TITLE_PATTERNS = ["The {adj} {noun}", "{noun} of the {adj} {noun2}", "Beneath the {adj} {noun}",
                  "The {noun} and the {noun2}", "A {noun} in {noun2}", "Letters from the {noun}",
                  "Whispers of the {noun}", "The {noun} Keeper"]
