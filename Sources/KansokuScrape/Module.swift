// Module KansokuScrape.
