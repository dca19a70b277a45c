"""The models the simulator's api-docs declare, per resource family, written as Python data.

Each entry is (property, type, required[, allowed values]); the names, types and lists are
ARI 11 facts (Asterisk 23), so generated clients and the explorer see the same shapes as
against a real server. Descriptions are left out: the simulator serves the shapes only.
"""

from __future__ import annotations

from ..spec import AllowableValues, Model, Property

_BY_RESOURCE: dict[str, list[Model]] = {}


def _m(resource: str, model_id: str, props: list[tuple], *, subtypes: tuple[str, ...] = (),
       discriminator: str | None = None) -> None:
    properties = tuple(
        Property(name=p[0], type=p[1], required=p[2],
                 allowable=AllowableValues(values=tuple(p[3])) if len(p) > 3 else None)
        for p in props)
    _BY_RESOURCE.setdefault(resource, []).append(
        Model(id=model_id, properties=properties, subtypes=subtypes, discriminator=discriminator))


def models_for(resource: str) -> tuple[Model, ...]:
    """The models one api declaration (``channels.json`` ...) carries."""
    return tuple(_BY_RESOURCE.get(resource, ()))


def all_models() -> dict[str, Model]:
    return {m.id: m for models in _BY_RESOURCE.values() for m in models}


def event_types() -> tuple[str, ...]:
    """Every concrete event type (subtypes of ``Event``)."""
    event = all_models()["Event"]
    return tuple(sorted(event.subtypes))

# ---- asterisk
_m('asterisk', 'BuildInfo', [
    ('os', 'string', True),
    ('kernel', 'string', True),
    ('options', 'string', True),
    ('machine', 'string', True),
    ('date', 'string', True),
    ('user', 'string', True),
])
_m('asterisk', 'SystemInfo', [
    ('version', 'string', True),
    ('entity_id', 'string', True),
])
_m('asterisk', 'SetId', [
    ('user', 'string', True),
    ('group', 'string', True),
])
_m('asterisk', 'ConfigInfo', [
    ('name', 'string', True),
    ('default_language', 'string', True),
    ('max_channels', 'int', False),
    ('max_open_files', 'int', False),
    ('max_load', 'double', False),
    ('setid', 'SetId', True),
])
_m('asterisk', 'StatusInfo', [
    ('startup_time', 'Date', True),
    ('last_reload_time', 'Date', True),
])
_m('asterisk', 'AsteriskInfo', [
    ('build', 'BuildInfo', False),
    ('system', 'SystemInfo', False),
    ('config', 'ConfigInfo', False),
    ('status', 'StatusInfo', False),
])
_m('asterisk', 'AsteriskPing', [
    ('asterisk_id', 'string', True),
    ('ping', 'string', True),
    ('timestamp', 'string', True),
])
_m('asterisk', 'Module', [
    ('name', 'string', True),
    ('description', 'string', True),
    ('use_count', 'int', True),
    ('status', 'string', True),
    ('support_level', 'string', True),
])
_m('asterisk', 'LogChannel', [
    ('channel', 'string', True),
    ('type', 'string', True),
    ('status', 'string', True),
    ('configuration', 'string', True),
])
_m('asterisk', 'Variable', [
    ('value', 'string', True),
])
_m('asterisk', 'Variables', [
    ('variables', 'object', True),
])
_m('asterisk', 'ConfigTuple', [
    ('attribute', 'string', True),
    ('value', 'string', True),
])

# ---- endpoints
_m('endpoints', 'Endpoint', [
    ('technology', 'string', True),
    ('resource', 'string', True),
    ('state', 'string', False, ('unknown', 'offline', 'online')),
    ('channel_ids', 'List[string]', True),
])
_m('endpoints', 'TextMessage', [
    ('from', 'string', True),
    ('to', 'string', True),
    ('body', 'string', True),
    ('variables', 'object', False),
])

# ---- channels
_m('channels', 'Dialed', [
])
_m('channels', 'DialplanCEP', [
    ('context', 'string', True),
    ('exten', 'string', True),
    ('priority', 'long', True),
    ('app_name', 'string', True),
    ('app_data', 'string', True),
])
_m('channels', 'CallerID', [
    ('name', 'string', True),
    ('number', 'string', True),
])
_m('channels', 'RTPstat', [
    ('txcount', 'int', True),
    ('rxcount', 'int', True),
    ('txjitter', 'double', False),
    ('rxjitter', 'double', False),
    ('remote_maxjitter', 'double', False),
    ('remote_minjitter', 'double', False),
    ('remote_normdevjitter', 'double', False),
    ('remote_stdevjitter', 'double', False),
    ('local_maxjitter', 'double', False),
    ('local_minjitter', 'double', False),
    ('local_normdevjitter', 'double', False),
    ('local_stdevjitter', 'double', False),
    ('txploss', 'int', True),
    ('rxploss', 'int', True),
    ('remote_maxrxploss', 'double', False),
    ('remote_minrxploss', 'double', False),
    ('remote_normdevrxploss', 'double', False),
    ('remote_stdevrxploss', 'double', False),
    ('local_maxrxploss', 'double', False),
    ('local_minrxploss', 'double', False),
    ('local_normdevrxploss', 'double', False),
    ('local_stdevrxploss', 'double', False),
    ('rtt', 'double', False),
    ('maxrtt', 'double', False),
    ('minrtt', 'double', False),
    ('normdevrtt', 'double', False),
    ('stdevrtt', 'double', False),
    ('local_ssrc', 'int', True),
    ('remote_ssrc', 'int', True),
    ('txoctetcount', 'int', True),
    ('rxoctetcount', 'int', True),
    ('channel_uniqueid', 'string', True),
])
_m('channels', 'Channel', [
    ('id', 'string', True),
    ('protocol_id', 'string', True),
    ('name', 'string', True),
    ('state', 'string', True, ('Down', 'Rsrved', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring', 'Unknown')),
    ('caller', 'CallerID', True),
    ('connected', 'CallerID', True),
    ('accountcode', 'string', True),
    ('dialplan', 'DialplanCEP', True),
    ('creationtime', 'Date', True),
    ('language', 'string', True),
    ('channelvars', 'object', False),
    ('caller_rdnis', 'string', False),
    ('tenantid', 'string', False),
])

# ---- bridges
_m('bridges', 'Bridge', [
    ('id', 'string', True),
    ('technology', 'string', True),
    ('bridge_type', 'string', True, ('mixing', 'holding')),
    ('bridge_class', 'string', True),
    ('creator', 'string', True),
    ('name', 'string', True),
    ('channels', 'List[string]', True),
    ('video_mode', 'string', False),
    ('video_source_id', 'string', False),
    ('creationtime', 'Date', True),
    ('bridgevars', 'object', False),
])

# ---- recordings
_m('recordings', 'StoredRecording', [
    ('name', 'string', True),
    ('format', 'string', True),
])
_m('recordings', 'LiveRecording', [
    ('name', 'string', True),
    ('format', 'string', True),
    ('target_uri', 'string', True),
    ('state', 'string', True, ('queued', 'recording', 'paused', 'done', 'failed', 'canceled')),
    ('duration', 'int', False),
    ('talking_duration', 'int', False),
    ('silence_duration', 'int', False),
    ('cause', 'string', False),
])

# ---- sounds
_m('sounds', 'FormatLangPair', [
    ('language', 'string', True),
    ('format', 'string', True),
])
_m('sounds', 'Sound', [
    ('id', 'string', True),
    ('text', 'string', False),
    ('formats', 'List[FormatLangPair]', True),
])

# ---- playbacks
_m('playbacks', 'Playback', [
    ('id', 'string', True),
    ('media_uri', 'string', True),
    ('next_media_uri', 'string', False),
    ('target_uri', 'string', True),
    ('language', 'string', False),
    ('state', 'string', True, ('queued', 'playing', 'continuing', 'done', 'failed')),
])

# ---- deviceStates
_m('deviceStates', 'DeviceState', [
    ('name', 'string', True),
    ('state', 'string', True, ('UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD')),
])

# ---- mailboxes
_m('mailboxes', 'Mailbox', [
    ('name', 'string', True),
    ('old_messages', 'int', True),
    ('new_messages', 'int', True),
])

# ---- events
_m('events', 'Message', [
    ('type', 'string', True),
    ('asterisk_id', 'string', False),
], subtypes=('MissingParams', 'Event'), discriminator='type')
_m('events', 'MissingParams', [
    ('params', 'List[string]', True),
])
_m('events', 'Event', [
    ('application', 'string', True),
    ('timestamp', 'Date', True),
], subtypes=('DeviceStateChanged', 'PlaybackStarted', 'PlaybackContinuing', 'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'RecordingFailed', 'ApplicationMoveFailed', 'ApplicationRegistered', 'ApplicationUnregistered', 'ApplicationReplaced', 'BridgeCreated', 'BridgeDestroyed', 'BridgeMerged', 'BridgeBlindTransfer', 'BridgeAttendedTransfer', 'BridgeVideoSourceChanged', 'ChannelCreated', 'ChannelDestroyed', 'ChannelEnteredBridge', 'ChannelLeftBridge', 'ChannelStateChange', 'ChannelDtmfReceived', 'ChannelDialplan', 'ChannelCallerId', 'ChannelUserevent', 'ChannelHangupRequest', 'ChannelVarset', 'ChannelToneDetected', 'ChannelTalkingStarted', 'ChannelTalkingFinished', 'ChannelHold', 'ChannelUnhold', 'ContactStatusChange', 'EndpointStateChange', 'Dial', 'StasisEnd', 'StasisStart', 'TextMessageReceived', 'ChannelConnectedLine', 'PeerStatusChange', 'ChannelTransfer', 'RESTResponse', 'CallBroadcast', 'CallClaimed'))
_m('events', 'ContactInfo', [
    ('uri', 'string', True),
    ('contact_status', 'string', True, ('Unreachable', 'Reachable', 'Unknown', 'NonQualified', 'Removed')),
    ('aor', 'string', True),
    ('roundtrip_usec', 'string', False),
])
_m('events', 'Peer', [
    ('peer_status', 'string', True),
    ('cause', 'string', False),
    ('address', 'string', False),
    ('port', 'string', False),
    ('time', 'string', False),
])
_m('events', 'DeviceStateChanged', [
    ('device_state', 'DeviceState', True),
])
_m('events', 'PlaybackStarted', [
    ('playback', 'Playback', True),
])
_m('events', 'PlaybackContinuing', [
    ('playback', 'Playback', True),
])
_m('events', 'PlaybackFinished', [
    ('playback', 'Playback', True),
])
_m('events', 'RecordingStarted', [
    ('recording', 'LiveRecording', True),
])
_m('events', 'RecordingFinished', [
    ('recording', 'LiveRecording', True),
])
_m('events', 'RecordingFailed', [
    ('recording', 'LiveRecording', True),
])
_m('events', 'ApplicationMoveFailed', [
    ('channel', 'Channel', True),
    ('destination', 'string', True),
    ('args', 'List[string]', True),
])
_m('events', 'ApplicationRegistered', [
])
_m('events', 'ApplicationUnregistered', [
])
_m('events', 'ApplicationReplaced', [
])
_m('events', 'BridgeCreated', [
    ('bridge', 'Bridge', True),
])
_m('events', 'BridgeDestroyed', [
    ('bridge', 'Bridge', True),
])
_m('events', 'BridgeMerged', [
    ('bridge', 'Bridge', True),
    ('bridge_from', 'Bridge', True),
])
_m('events', 'BridgeVideoSourceChanged', [
    ('bridge', 'Bridge', True),
    ('old_video_source_id', 'string', False),
])
_m('events', 'BridgeBlindTransfer', [
    ('channel', 'Channel', True),
    ('replace_channel', 'Channel', False),
    ('transferee', 'Channel', False),
    ('exten', 'string', True),
    ('context', 'string', True),
    ('result', 'string', True),
    ('is_external', 'boolean', True),
    ('bridge', 'Bridge', False),
])
_m('events', 'BridgeAttendedTransfer', [
    ('transferer_first_leg', 'Channel', True),
    ('transferer_second_leg', 'Channel', True),
    ('replace_channel', 'Channel', False),
    ('transferee', 'Channel', False),
    ('transfer_target', 'Channel', False),
    ('result', 'string', True),
    ('is_external', 'boolean', True),
    ('transferer_first_leg_bridge', 'Bridge', False),
    ('transferer_second_leg_bridge', 'Bridge', False),
    ('destination_type', 'string', True),
    ('destination_bridge', 'string', False),
    ('destination_application', 'string', False),
    ('destination_link_first_leg', 'Channel', False),
    ('destination_link_second_leg', 'Channel', False),
    ('destination_threeway_channel', 'Channel', False),
    ('destination_threeway_bridge', 'Bridge', False),
])
_m('events', 'ChannelCreated', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelDestroyed', [
    ('cause', 'int', True),
    ('cause_txt', 'string', True),
    ('tech_cause', 'int', False),
    ('channel', 'Channel', True),
])
_m('events', 'ChannelEnteredBridge', [
    ('bridge', 'Bridge', True),
    ('channel', 'Channel', False),
])
_m('events', 'ChannelLeftBridge', [
    ('bridge', 'Bridge', True),
    ('channel', 'Channel', True),
])
_m('events', 'ChannelStateChange', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelDtmfReceived', [
    ('digit', 'string', True),
    ('duration_ms', 'int', True),
    ('channel', 'Channel', True),
])
_m('events', 'ChannelDialplan', [
    ('channel', 'Channel', True),
    ('dialplan_app', 'string', True),
    ('dialplan_app_data', 'string', True),
])
_m('events', 'ChannelCallerId', [
    ('caller_presentation', 'int', True),
    ('caller_presentation_txt', 'string', True),
    ('channel', 'Channel', True),
])
_m('events', 'ChannelUserevent', [
    ('eventname', 'string', True),
    ('channel', 'Channel', False),
    ('bridge', 'Bridge', False),
    ('endpoint', 'Endpoint', False),
    ('userevent', 'object', True),
])
_m('events', 'ChannelHangupRequest', [
    ('cause', 'int', False),
    ('tech_cause', 'int', False),
    ('soft', 'boolean', False),
    ('channel', 'Channel', True),
])
_m('events', 'ChannelVarset', [
    ('variable', 'string', True),
    ('value', 'string', True),
    ('channel', 'Channel', False),
])
_m('events', 'ChannelHold', [
    ('channel', 'Channel', True),
    ('musicclass', 'string', False),
])
_m('events', 'ChannelUnhold', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelToneDetected', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelTalkingStarted', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelTalkingFinished', [
    ('channel', 'Channel', True),
    ('duration', 'int', True),
])
_m('events', 'ContactStatusChange', [
    ('endpoint', 'Endpoint', True),
    ('contact_info', 'ContactInfo', True),
])
_m('events', 'PeerStatusChange', [
    ('endpoint', 'Endpoint', True),
    ('peer', 'Peer', True),
])
_m('events', 'EndpointStateChange', [
    ('endpoint', 'Endpoint', True),
])
_m('events', 'Dial', [
    ('caller', 'Channel', False),
    ('peer', 'Channel', True),
    ('forward', 'string', False),
    ('forwarded', 'Channel', False),
    ('dialstring', 'string', False),
    ('dialstatus', 'string', True),
])
_m('events', 'StasisEnd', [
    ('channel', 'Channel', True),
])
_m('events', 'StasisStart', [
    ('args', 'List[string]', True),
    ('channel', 'Channel', True),
    ('replace_channel', 'Channel', False),
])
_m('events', 'TextMessageReceived', [
    ('message', 'TextMessage', True),
    ('endpoint', 'Endpoint', False),
])
_m('events', 'ChannelConnectedLine', [
    ('channel', 'Channel', True),
])
_m('events', 'ChannelTransfer', [
    ('state', 'string', False),
    ('refer_to', 'ReferTo', True),
    ('referred_by', 'ReferredBy', True),
])
_m('events', 'ReferTo', [
    ('requested_destination', 'RequiredDestination', True),
    ('destination_channel', 'Channel', False),
    ('connected_channel', 'Channel', False),
    ('bridge', 'Bridge', False),
])
_m('events', 'ReferredBy', [
    ('source_channel', 'Channel', True),
    ('connected_channel', 'Channel', False),
    ('bridge', 'Bridge', False),
])
_m('events', 'RequiredDestination', [
    ('protocol_id', 'string', False),
    ('destination', 'string', False),
    ('additional_protocol_params', 'List[AdditionalParam]', False),
])
_m('events', 'AdditionalParam', [
    ('parameter_name', 'string', True),
    ('parameter_value', 'string', True),
])
_m('events', 'RESTHeader', [
    ('name', 'string', True),
    ('value', 'string', True),
])
_m('events', 'RESTQueryStringParameter', [
    ('name', 'string', True),
    ('value', 'string', True),
])
_m('events', 'RESTRequest', [
    ('type', 'string', True),
    ('transaction_id', 'string', True),
    ('request_id', 'string', True),
    ('method', 'string', True),
    ('uri', 'string', True),
    ('content_type', 'string', False),
    ('query_strings', 'List[RESTQueryStringParameter]', False),
    ('message_body', 'string', False),
])
_m('events', 'RESTResponse', [
    ('transaction_id', 'string', True),
    ('request_id', 'string', True),
    ('status_code', 'int', True),
    ('reason_phrase', 'string', True),
    ('uri', 'string', True),
    ('content_type', 'string', False),
    ('message_body', 'string', False),
])
_m('events', 'CallBroadcast', [
    ('channel', 'Channel', True),
    ('caller', 'string', False),
    ('called', 'string', False),
])
_m('events', 'CallClaimed', [
    ('channel', 'Channel', True),
    ('winner_app', 'string', True),
])

# ---- applications
_m('applications', 'Application', [
    ('name', 'string', True),
    ('channel_ids', 'List[string]', True),
    ('bridge_ids', 'List[string]', True),
    ('endpoint_ids', 'List[string]', True),
    ('device_names', 'List[string]', True),
    ('events_allowed', 'List[object]', True),
    ('events_disallowed', 'List[object]', True),
])
