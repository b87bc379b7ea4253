// Module KansokuNotify.
