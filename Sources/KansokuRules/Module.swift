// Module KansokuRules.
