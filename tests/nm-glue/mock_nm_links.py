'''NetworkManager that carries a login to the end, for test_nm_mock.cpp.

Loaded (AddTemplate) onto /org/freedesktop/NetworkManager of python-dbusmock's
networkmanager template, after the fixture's AgentManager. It adds what nm-glue needs to
see a link succeed or fail, each step driven by the test:

- AddAndActivateConnection2 accepts: a Settings.Connection with the settings sent and an
  ActiveConnection in state ACTIVATING on the device, answered (conn, active, {}).
- AgentManager.Register* remember the secret agent's bus name; SdvmAskSecrets(ifname) is
  NetworkManager asking that agent for the 802-1x secrets of the link's connection (the
  agent only answers NetworkManager's bus name, so the call has to come from here). The
  call is made without waiting: the agent lives in the test process, whose loop runs only
  once this method has returned. SdvmSecrets(ifname) says how it went: "asked", "given"
  (a password came back) or "refused: ...".
- SdvmSetActiveState(ifname, state, reason): the link's ActiveConnection State, as
  NetworkManager moves it (the property, and the StateChanged signal libnm follows).
- SdvmActive(ifname): the link's ActiveConnection path, "" before its activation.
'''

import dbus
import dbusmock
from dbusmock import MOCK_IFACE

MANAGER_OBJ = '/org/freedesktop/NetworkManager'
MANAGER_IFACE = 'org.freedesktop.NetworkManager'
SETTINGS_OBJ = '/org/freedesktop/NetworkManager/Settings'
DEVICE_IFACE = 'org.freedesktop.NetworkManager.Device'
ACTIVE_IFACE = 'org.freedesktop.NetworkManager.Connection.Active'
AGENT_MANAGER_OBJ = '/org/freedesktop/NetworkManager/AgentManager'
AGENT_MANAGER_IFACE = 'org.freedesktop.NetworkManager.AgentManager'
AGENT_OBJ = '/org/freedesktop/NetworkManager/SecretAgent'
AGENT_IFACE = 'org.freedesktop.NetworkManager.SecretAgent'


def load(mock, _parameters):
    mock.sdvm_active = {}   # ifname -> ActiveConnection path
    mock.sdvm_secrets = {}  # ifname -> "asked", "given", "refused: ..."
    mock.sdvm_agent = ''

    # dbusmock's own methods do not see the caller: these two do (sender_keyword).
    @dbus.service.method(AGENT_MANAGER_IFACE, in_signature='s', sender_keyword='sender')
    def register(_self, _identifier, sender=None):
        mock.sdvm_agent = sender

    @dbus.service.method(AGENT_MANAGER_IFACE, in_signature='su', sender_keyword='sender')
    def register_with_capabilities(_self, _identifier, _capabilities, sender=None):
        mock.sdvm_agent = sender

    agent_manager = dbusmock.get_object(AGENT_MANAGER_OBJ)
    methods = agent_manager.methods[AGENT_MANAGER_IFACE]
    methods['Register'] = ('s', '', '', register)
    methods['RegisterWithCapabilities'] = ('su', '', '', register_with_capabilities)


@dbus.service.method(MANAGER_IFACE, in_signature='a{sa{sv}}ooa{sv}', out_signature='ooa{sv}')
def AddAndActivateConnection2(self, settings, device, specific_object, _options):
    conn = dbusmock.get_object(SETTINGS_OBJ).SettingsAddConnection(settings)
    ifname = str(dbusmock.get_object(device).Get(DEVICE_IFACE, 'Interface'))
    active = self.AddActiveConnection([device], conn, specific_object,
                                      f'sdvm{len(self.sdvm_active)}', dbus.UInt32(1))
    self.sdvm_active[ifname] = active
    return (dbus.ObjectPath(conn), dbus.ObjectPath(active), dbus.Dictionary({}, signature='sv'))


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='s')
def SdvmActive(self, ifname):
    return self.sdvm_active.get(ifname, '')


@dbus.service.method(MOCK_IFACE, in_signature='suu', out_signature='')
def SdvmSetActiveState(self, ifname, state, reason):
    active = dbusmock.get_object(self.sdvm_active[ifname])
    active.Set(ACTIVE_IFACE, 'State', dbus.UInt32(state))
    active.EmitSignal(ACTIVE_IFACE, 'StateChanged', 'uu', [dbus.UInt32(state), dbus.UInt32(reason)])


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='')
def SdvmAskSecrets(self, ifname):
    conn = dbusmock.get_object(self.sdvm_active[ifname]).Get(ACTIVE_IFACE, 'Connection')
    settings = dbusmock.get_object(conn).settings
    agent = self.connection.get_object(self.sdvm_agent, AGENT_OBJ, introspect=False)
    self.sdvm_secrets[ifname] = 'asked'

    def answered(secrets):
        given = 'password' in secrets.get('802-1x', {})
        self.sdvm_secrets[ifname] = 'given' if given else 'refused: no password'

    def refused(error):
        self.sdvm_secrets[ifname] = f'refused: {error}'

    agent.GetSecrets(settings, conn, '802-1x', dbus.Array([], signature='s'), dbus.UInt32(0),
                     signature='a{sa{sv}}osasu', dbus_interface=AGENT_IFACE,
                     reply_handler=answered, error_handler=refused)


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='s')
def SdvmSecrets(self, ifname):
    return self.sdvm_secrets.get(ifname, '')
