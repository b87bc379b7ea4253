// Module KansokuTUI.
