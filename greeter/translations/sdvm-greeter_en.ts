<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>Fallback</name>
    <message>
        <source>The login screen&apos;s theme cannot be shown, so this built-in one is used. Please tell the lab staff.</source>
        <translation>The login screen&apos;s theme cannot be shown, so this built-in one is used. Please tell the lab staff.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Log in with your institution&apos;s account (eduroam).</source>
        <translation>Log in with your institution&apos;s account (eduroam).</translation>
    </message>
    <message>
        <source>For example: name@university.edu</source>
        <translation>For example: name@university.edu</translation>
    </message>
    <message>
        <source>Choose a system</source>
        <translation>Choose a system</translation>
    </message>
    <message>
        <source>Num Lock</source>
        <translation>Num Lock</translation>
    </message>
</context>
<context>
    <name>TextConstants</name>
    <message>
        <source>Caps Lock is on</source>
        <translation>Caps Lock is on</translation>
    </message>
    <message>
        <source>Layout</source>
        <translation>Layout</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Log in</translation>
    </message>
    <message>
        <source>Login failed</source>
        <translation>Login failed</translation>
    </message>
    <message>
        <source>Login succeeded</source>
        <translation>Login succeeded</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>Type your password</source>
        <translation>Type your password</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>Change password</translation>
    </message>
    <message>
        <source>Type your user name and password</source>
        <translation>Type your user name and password</translation>
    </message>
    <message>
        <source>Select your account and type your password</source>
        <translation>Select your account and type your password</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>Type your user name</source>
        <translation>Type your user name</translation>
    </message>
    <message>
        <source>Show password</source>
        <translation>Show password</translation>
    </message>
    <message>
        <source>Hide password</source>
        <translation>Hide password</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>Restart</translation>
    </message>
    <message>
        <source>System</source>
        <translation>System</translation>
    </message>
    <message>
        <source>Shut down</source>
        <translation>Shut down</translation>
    </message>
    <message>
        <source>Suspend</source>
        <translation>Suspend</translation>
    </message>
    <message>
        <source>Hibernate</source>
        <translation>Hibernate</translation>
    </message>
    <message>
        <source>Welcome to %1</source>
        <translation>Welcome to %1</translation>
    </message>
    <message>
        <source>Too many failed attempts</source>
        <translation>Too many failed attempts</translation>
    </message>
    <message>
        <source>Too many failed attempts: please wait before trying again</source>
        <translation>Too many failed attempts: please wait before trying again</translation>
    </message>
</context>
<context>
    <name>sdvm::GreeterApp</name>
    <message>
        <source>The login screen&apos;s theme failed to start several times, so the built-in one is shown.</source>
        <translation>The login screen&apos;s theme failed to start several times, so the built-in one is shown.</translation>
    </message>
    <message>
        <source>%1: the theme&apos;s root object is not an Item</source>
        <translation>%1: the theme&apos;s root object is not an Item</translation>
    </message>
</context>
<context>
    <name>sdvm::SessionModel</name>
    <message>
        <source>%1 (unavailable)</source>
        <translation>%1 (unavailable)</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is missing on this terminal.</source>
        <translation>The image&apos;s disk file is missing on this terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file cannot be read on this terminal.</source>
        <translation>The image&apos;s disk file cannot be read on this terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is not a disk image SDVM can start.</source>
        <translation>The image&apos;s disk file is not a disk image SDVM can start.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is damaged.</source>
        <translation>The image&apos;s disk file is damaged.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file uses features SDVM cannot start.</source>
        <translation>The image&apos;s disk file uses features SDVM cannot start.</translation>
    </message>
    <message>
        <source>The image has no description on this terminal.</source>
        <translation>The image has no description on this terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s description on this terminal is invalid.</source>
        <translation>The image&apos;s description on this terminal is invalid.</translation>
    </message>
    <message>
        <source>This image cannot be started on this terminal.</source>
        <translation>This image cannot be started on this terminal.</translation>
    </message>
</context>
<context>
    <name>sdvm::StatusController</name>
    <message>
        <source>Type your user name first.</source>
        <translation>Type your user name first.</translation>
    </message>
    <message>
        <source>Your user name looks like name@institution.</source>
        <translation>Your user name looks like name@institution.</translation>
    </message>
    <message>
        <source>Type your password.</source>
        <translation>Type your password.</translation>
    </message>
    <message>
        <source>The terminal refused the power action.</source>
        <translation>The terminal refused the power action.</translation>
    </message>
    <message>
        <source>Your institution did not accept this user name and password.</source>
        <translation>Your institution did not accept this user name and password.</translation>
    </message>
    <message>
        <source>The user name must include your institution, like name@university.edu.</source>
        <translation>The user name must include your institution, like name@university.edu.</translation>
    </message>
    <message>
        <source>Your institution is not known here.</source>
        <translation>Your institution is not known here.</translation>
    </message>
    <message>
        <source>The institution &quot;%1&quot; is not known here.</source>
        <translation>The institution &quot;%1&quot; is not known here.</translation>
    </message>
    <message>
        <source>Your institution does not allow password logins on this network.</source>
        <translation>Your institution does not allow password logins on this network.</translation>
    </message>
    <message>
        <source>This terminal cannot verify your institution&apos;s login server, so your password was not sent.</source>
        <translation>This terminal cannot verify your institution&apos;s login server, so your password was not sent.</translation>
    </message>
    <message>
        <source>Too many failed logins on this terminal.</source>
        <translation>Too many failed logins on this terminal.</translation>
    </message>
    <message>
        <source>This terminal&apos;s settings for your institution have expired.</source>
        <translation>This terminal&apos;s settings for your institution have expired.</translation>
    </message>
    <message>
        <source>Tell the lab staff: the eduroam CAT database needs an update.</source>
        <translation>Tell the lab staff: the eduroam CAT database needs an update.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server showed a certificate this terminal does not trust, so your password was not sent.</source>
        <translation>Your institution&apos;s login server showed a certificate this terminal does not trust, so your password was not sent.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server answered with an unexpected name, so your password was not sent.</source>
        <translation>Your institution&apos;s login server answered with an unexpected name, so your password was not sent.</translation>
    </message>
    <message>
        <source>This terminal has no network: no cable is connected and no Wi-Fi is available.</source>
        <translation>This terminal has no network: no cable is connected and no Wi-Fi is available.</translation>
    </message>
    <message>
        <source>The network did not answer in time.</source>
        <translation>The network did not answer in time.</translation>
    </message>
    <message>
        <source>The network service of this terminal is not running.</source>
        <translation>The network service of this terminal is not running.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer: its login server did not decide in time. The network here works.</source>
        <translation>Your institution is slow to answer: its login server did not decide in time. The network here works.</translation>
    </message>
    <message>
        <source>Wait a few minutes and try again; if it keeps happening, tell the lab staff (reason %1).</source>
        <translation>Wait a few minutes and try again; if it keeps happening, tell the lab staff (reason %1).</translation>
    </message>
    <message>
        <source>Your disk of this system was made on an older version of it and cannot be used any more: it is kept aside (the lab staff can recover your files from it) and you start on a new disk.</source>
        <translation>Your disk of this system was made on an older version of it and cannot be used any more: it is kept aside (the lab staff can recover your files from it) and you start on a new disk.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer… still waiting.</source>
        <translation>Your institution is slow to answer… still waiting.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login method cannot be checked safely on this terminal&apos;s network cable, so your password was not sent.</source>
        <translation>Your institution&apos;s login method cannot be checked safely on this terminal&apos;s network cable, so your password was not sent.</translation>
    </message>
    <message>
        <source>Use a terminal on Wi-Fi, or tell the lab staff (reason %1).</source>
        <translation>Use a terminal on Wi-Fi, or tell the lab staff (reason %1).</translation>
    </message>
    <message>
        <source>The network connection failed.</source>
        <translation>The network connection failed.</translation>
    </message>
    <message>
        <source>The chosen system is not offered on this terminal.</source>
        <translation>The chosen system is not offered on this terminal.</translation>
    </message>
    <message>
        <source>The chosen system cannot be started right now.</source>
        <translation>The chosen system cannot be started right now.</translation>
    </message>
    <message>
        <source>This terminal does not have enough disk space for your system.</source>
        <translation>This terminal does not have enough disk space for your system.</translation>
    </message>
    <message>
        <source>Your disk could not be prepared.</source>
        <translation>Your disk could not be prepared.</translation>
    </message>
    <message>
        <source>Your disk is still in use by a system that is running.</source>
        <translation>Your disk is still in use by a system that is running.</translation>
    </message>
    <message>
        <source>The system could not be started.</source>
        <translation>The system could not be started.</translation>
    </message>
    <message>
        <source>The system stopped unexpectedly.</source>
        <translation>The system stopped unexpectedly.</translation>
    </message>
    <message>
        <source>This terminal&apos;s hardware does not match its configuration.</source>
        <translation>This terminal&apos;s hardware does not match its configuration.</translation>
    </message>
    <message>
        <source>This terminal does not have enough reserved memory to start the system.</source>
        <translation>This terminal does not have enough reserved memory to start the system.</translation>
    </message>
    <message>
        <source>This terminal must restart before the next login.</source>
        <translation>This terminal must restart before the next login.</translation>
    </message>
    <message>
        <source>This terminal&apos;s model is not set up to start systems.</source>
        <translation>This terminal&apos;s model is not set up to start systems.</translation>
    </message>
    <message>
        <source>The login was cancelled.</source>
        <translation>The login was cancelled.</translation>
    </message>
    <message>
        <source>Another login is in progress on this terminal.</source>
        <translation>Another login is in progress on this terminal.</translation>
    </message>
    <message>
        <source>The login service of this terminal is not running.</source>
        <translation>The login service of this terminal is not running.</translation>
    </message>
    <message>
        <source>The login service sent an answer the login screen does not understand.</source>
        <translation>The login service sent an answer the login screen does not understand.</translation>
    </message>
    <message>
        <source>This terminal&apos;s configuration is broken.</source>
        <translation>This terminal&apos;s configuration is broken.</translation>
    </message>
    <message>
        <source>Something went wrong on this terminal.</source>
        <translation>Something went wrong on this terminal.</translation>
    </message>
    <message>
        <source>The login failed (reason %1).</source>
        <translation>The login failed (reason %1).</translation>
    </message>
    <message>
        <source>Please tell the lab staff (reason %1).</source>
        <translation>Please tell the lab staff (reason %1).</translation>
    </message>
    <message>
        <source>Check both and try again. Mind Caps Lock and the keyboard layout.</source>
        <translation>Check both and try again. Mind Caps Lock and the keyboard layout.</translation>
    </message>
    <message>
        <source>Type your full user name and try again.</source>
        <translation>Type your full user name and try again.</translation>
    </message>
    <message>
        <source>Check the part after @. If it is right, your institution may not take part in eduroam, or may not publish its realm in eduroam CAT: tell the lab staff.</source>
        <translation>Check the part after @. If it is right, your institution may not take part in eduroam, or may not publish its realm in eduroam CAT: tell the lab staff.</translation>
    </message>
    <message>
        <source>Ask your institution&apos;s helpdesk how to log in with a password.</source>
        <translation>Ask your institution&apos;s helpdesk how to log in with a password.</translation>
    </message>
    <message>
        <source>Wait a little, then try again.</source>
        <translation>Wait a little, then try again.</translation>
    </message>
    <message>
        <source>Wait a moment and try again.</source>
        <translation>Wait a moment and try again.</translation>
    </message>
    <message>
        <source>Check the network cable, or tell the lab staff.</source>
        <translation>Check the network cable, or tell the lab staff.</translation>
    </message>
    <message>
        <source>Choose another system, or tell the lab staff (reason %1).</source>
        <translation>Choose another system, or tell the lab staff (reason %1).</translation>
    </message>
    <message>
        <source>Restart the terminal from the power menu.</source>
        <translation>Restart the terminal from the power menu.</translation>
    </message>
    <message>
        <source>Looking up your institution…</source>
        <translation>Looking up your institution…</translation>
    </message>
    <message>
        <source>Connecting to the network (cable)…</source>
        <translation>Connecting to the network (cable)…</translation>
    </message>
    <message>
        <source>Connecting to the network (Wi-Fi)…</source>
        <translation>Connecting to the network (Wi-Fi)…</translation>
    </message>
    <message>
        <source>Checking your password with your institution…</source>
        <translation>Checking your password with your institution…</translation>
    </message>
    <message>
        <source>Preparing your disk…</source>
        <translation>Preparing your disk…</translation>
    </message>
    <message>
        <source>Starting the system…</source>
        <translation>Starting the system…</translation>
    </message>
    <message>
        <source>Starting %1…</source>
        <translation>Starting %1…</translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation>Logging in…</translation>
    </message>
    <message numerus="yes">
        <source>You can try again in %n second(s).</source>
        <translation>
            <numerusform>You can try again in %n second.</numerusform>
            <numerusform>You can try again in %n seconds.</numerusform>
        </translation>
    </message>
    <message>
        <source>User name</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>name@institution</source>
        <translation>name@institution</translation>
    </message>
    <message>
        <source>It restarts by itself; this screen connects again when it is back.</source>
        <translation>It restarts by itself; this screen connects again when it is back.</translation>
    </message>
    <message>
        <source>your institution</source>
        <translation>your institution</translation>
    </message>
    <message>
        <source>Help from %1: %2</source>
        <translation>Help from %1: %2</translation>
    </message>
</context>
<context>
    <name>sdvm::UserModel</name>
    <message>
        <source>Network account</source>
        <translation>Network account</translation>
    </message>
</context>
</TS>
