// Module KansokuLogQL.
