// Module KansokuPromQL.
