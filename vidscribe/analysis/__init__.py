"""Analysis: findings in transcripts (money, contacts, QR codes, account marks, lexicon terms).

Each extractor is a pure function from folded text (`text.fold`) to `Match`es; `stage` turns
them into the transcript's `findings` with track and times.
"""

from vidscribe.analysis.accounts import find_accounts
from vidscribe.analysis.contacts import find_contacts, find_emails, find_phones, find_telegram, find_urls, find_wechat
from vidscribe.analysis.lexicon import Lexicon, find_terms, load_lexicons, parse_lexicon
from vidscribe.analysis.money import find_money
from vidscribe.analysis.text import Line, Match, fold

__all__ = [
    "Lexicon", "Line", "Match", "find_accounts", "find_contacts", "find_emails", "find_money", "find_phones",
    "find_telegram", "find_terms", "find_urls", "find_wechat", "fold", "load_lexicons", "parse_lexicon",
]
