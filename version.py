"""The version of SMTP Observer, in one place: Help › About shows it, reports may name it."""

VERSION = "1.1.0"
