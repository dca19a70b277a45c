"""The telephony backend: all of the simulator's state and behaviour, with no I/O.

``core`` holds the state, the clock and the event bus; ``telephony`` (channels), ``bridging``,
``playback``, ``recordings``, ``dialplan`` and ``phones`` react to each other through that bus;
``objects`` are the state records (``SimChannel``, ``SimBridge``); ``media``, ``sounds``,
``wav`` and ``versions`` are the data they use. Nothing here imports the web side.
"""
