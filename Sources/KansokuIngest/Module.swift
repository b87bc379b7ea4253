// Module KansokuIngest.
