"""The web side: what speaks HTTP and WebSocket for the simulator.

``server.Simulator`` starts, stops and restarts it; ``http`` serves ARI (auth, CORS, api-docs)
and hands each request to ``routing``; ``events_connection`` is one events WebSocket with the
wire faults it offers; ``rest_over_ws`` parses ARI's REST-over-WebSocket frames; ``responses``
are Asterisk's own answers; ``faults``, ``load`` and ``misconfig`` are the teaching faults;
``security`` and ``config`` say who may connect and how the simulator is set up.
"""
