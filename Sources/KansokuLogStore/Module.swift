// Module KansokuLogStore.
