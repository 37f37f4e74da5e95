"""Reference data the ledger cannot run without: ISO 4217 currencies and the hash-chain heads.

Loaded by migration 0002 and, idempotently, by ``ensure_reference_data()`` wherever a database is
emptied and refilled (transactional tests, a fresh demo)."""

from core_banking.common.money import iso_exponent

CURRENCIES = [
    ("AED", "UAE dirham"), ("AUD", "Australian dollar"), ("BGN", "Bulgarian lev"),
    ("BHD", "Bahraini dinar"), ("BRL", "Brazilian real"), ("CAD", "Canadian dollar"),
    ("CHF", "Swiss franc"), ("CLP", "Chilean peso"), ("CNY", "Chinese yuan"),
    ("CZK", "Czech koruna"), ("DKK", "Danish krone"), ("EUR", "Euro"), ("GBP", "Pound sterling"),
    ("HKD", "Hong Kong dollar"), ("HUF", "Hungarian forint"), ("ILS", "Israeli new shekel"),
    ("INR", "Indian rupee"), ("ISK", "Icelandic krona"), ("JOD", "Jordanian dinar"),
    ("JPY", "Japanese yen"), ("KRW", "South Korean won"), ("KWD", "Kuwaiti dinar"),
    ("MXN", "Mexican peso"), ("NOK", "Norwegian krone"), ("NZD", "New Zealand dollar"),
    ("OMR", "Omani rial"), ("PLN", "Polish zloty"), ("RON", "Romanian leu"),
    ("SAR", "Saudi riyal"), ("SEK", "Swedish krona"), ("SGD", "Singapore dollar"),
    ("TND", "Tunisian dinar"), ("TRY", "Turkish lira"), ("USD", "US dollar"),
    ("ZAR", "South African rand"),
]
MAX_CHAINS = 64


def ensure_reference_data(currency_model=None, chain_model=None) -> None:
    if currency_model is None or chain_model is None:
        from core_banking.ledger.models import Currency, LedgerChain

        currency_model, chain_model = Currency, LedgerChain
    existing = set(currency_model.objects.values_list("code", flat=True))
    currency_model.objects.bulk_create(
        currency_model(code=code, name=name, exponent=iso_exponent(code))
        for code, name in CURRENCIES
        if code not in existing
    )
    chains = set(chain_model.objects.values_list("id", flat=True))
    chain_model.objects.bulk_create(chain_model(id=i) for i in range(MAX_CHAINS) if i not in chains)
