"""Bringing history in from spreadsheets and other systems (issue 22): validated mapping
files, streaming readers for CSV, XLSX and JSON Lines, and an import that checks every row
against the domain rules before it writes anything."""
