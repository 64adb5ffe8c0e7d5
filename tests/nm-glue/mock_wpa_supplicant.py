'''wpa_supplicant on D-Bus, as much as nm-glue uses (nm-glue/src/supplicant.c), for
test_nm_mock.cpp: python3 -m dbusmock --system --template <this file>.

- GetInterface(ifname) gives an interface object for any ifname (made on first use) with
  the properties Ifname and State ("disconnected") and the methods EAPLogon, EAPLogoff.
- SdvmEap(ifname, status, parameter): the interface's EAP signal, as wpa_supplicant sends
  it ("started" "", "completion" "success", "completion" "failure", ...).
- SdvmState(ifname, state): the interface's State, with org.freedesktop.DBus.Properties'
  PropertiesChanged ("completed" confirms an EAP success).
'''

import dbus
import dbusmock
from dbusmock import MOCK_IFACE

BUS_NAME = 'fi.w1.wpa_supplicant1'
MAIN_OBJ = '/fi/w1/wpa_supplicant1'
MAIN_IFACE = 'fi.w1.wpa_supplicant1'
SYSTEM_BUS = True
IFACE = 'fi.w1.wpa_supplicant1.Interface'


def load(_mock, _parameters):
    pass


@dbus.service.method(MAIN_IFACE, in_signature='s', out_signature='o')
def GetInterface(self, ifname):
    path = f'{MAIN_OBJ}/Interfaces/{ifname}'
    if path not in dbusmock.get_objects():
        self.AddObject(path, IFACE, {'Ifname': ifname, 'State': 'disconnected'},
                       [('EAPLogon', '', '', ''), ('EAPLogoff', '', '', '')])
    return dbus.ObjectPath(path)


@dbus.service.method(MOCK_IFACE, in_signature='sss', out_signature='')
def SdvmEap(self, ifname, status, parameter):
    iface = dbusmock.get_object(self.GetInterface(ifname))
    iface.EmitSignal(IFACE, 'EAP', 'ss', [status, parameter])


@dbus.service.method(MOCK_IFACE, in_signature='ss', out_signature='')
def SdvmState(self, ifname, state):
    dbusmock.get_object(self.GetInterface(ifname)).Set(IFACE, 'State', state)
