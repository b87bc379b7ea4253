// Module KansokuServer.
