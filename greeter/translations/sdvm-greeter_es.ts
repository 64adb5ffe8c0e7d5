<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>Fallback</name>
    <message>
        <source>The login screen&apos;s theme cannot be shown, so this built-in one is used. Please tell the lab staff.</source>
        <translation>El tema de la pantalla de inicio de sesión no se puede mostrar, así que se usa este tema integrado. Avise al personal del laboratorio.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Log in with your institution&apos;s account (eduroam).</source>
        <translation>Inicie sesión con la cuenta de su institución (eduroam).</translation>
    </message>
    <message>
        <source>For example: name@university.edu</source>
        <translation>Por ejemplo: nombre@universidad.edu</translation>
    </message>
    <message>
        <source>Choose a system</source>
        <translation>Elija un sistema</translation>
    </message>
    <message>
        <source>Num Lock</source>
        <translation>Bloq Num</translation>
    </message>
</context>
<context>
    <name>TextConstants</name>
    <message>
        <source>Caps Lock is on</source>
        <translation>Bloq Mayús está activado</translation>
    </message>
    <message>
        <source>Layout</source>
        <translation>Teclado</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <source>Login failed</source>
        <translation>Error al iniciar sesión</translation>
    </message>
    <message>
        <source>Login succeeded</source>
        <translation>Sesión iniciada</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Contraseña</translation>
    </message>
    <message>
        <source>Type your password</source>
        <translation>Escriba su contraseña</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>Cambiar contraseña</translation>
    </message>
    <message>
        <source>Type your user name and password</source>
        <translation>Escriba su nombre de usuario y contraseña</translation>
    </message>
    <message>
        <source>Select your account and type your password</source>
        <translation>Seleccione su cuenta y escriba su contraseña</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nombre de usuario</translation>
    </message>
    <message>
        <source>Type your user name</source>
        <translation>Escriba su nombre de usuario</translation>
    </message>
    <message>
        <source>Show password</source>
        <translation>Mostrar contraseña</translation>
    </message>
    <message>
        <source>Hide password</source>
        <translation>Ocultar contraseña</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>Reiniciar</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <source>Shut down</source>
        <translation>Apagar</translation>
    </message>
    <message>
        <source>Suspend</source>
        <translation>Suspender</translation>
    </message>
    <message>
        <source>Hibernate</source>
        <translation>Hibernar</translation>
    </message>
    <message>
        <source>Welcome to %1</source>
        <translation>Bienvenido/a a %1</translation>
    </message>
    <message>
        <source>Too many failed attempts</source>
        <translation>Demasiados intentos fallidos</translation>
    </message>
    <message>
        <source>Too many failed attempts: please wait before trying again</source>
        <translation>Demasiados intentos fallidos: espere antes de volver a intentarlo</translation>
    </message>
</context>
<context>
    <name>sdvm::GreeterApp</name>
    <message>
        <source>The login screen&apos;s theme failed to start several times, so the built-in one is shown.</source>
        <translation>El tema de la pantalla de inicio de sesión falló varias veces al iniciar, así que se muestra el integrado.</translation>
    </message>
    <message>
        <source>%1: the theme&apos;s root object is not an Item</source>
        <translation>%1: el objeto raíz del tema no es un Item</translation>
    </message>
</context>
<context>
    <name>sdvm::SessionModel</name>
    <message>
        <source>%1 (unavailable)</source>
        <translation>%1 (no disponible)</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is missing on this terminal.</source>
        <translation>Falta el archivo de disco de la imagen en este terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file cannot be read on this terminal.</source>
        <translation>No se puede leer el archivo de disco de la imagen en este terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is not a disk image SDVM can start.</source>
        <translation>El archivo de disco de la imagen no es una imagen de disco que SDVM pueda iniciar.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is damaged.</source>
        <translation>El archivo de disco de la imagen está dañado.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file uses features SDVM cannot start.</source>
        <translation>El archivo de disco de la imagen usa funciones con las que SDVM no puede iniciarla.</translation>
    </message>
    <message>
        <source>The image has no description on this terminal.</source>
        <translation>La imagen no tiene descripción en este terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s description on this terminal is invalid.</source>
        <translation>La descripción de la imagen en este terminal no es válida.</translation>
    </message>
    <message>
        <source>This image cannot be started on this terminal.</source>
        <translation>Esta imagen no se puede iniciar en este terminal.</translation>
    </message>
</context>
<context>
    <name>sdvm::StatusController</name>
    <message>
        <source>Type your user name first.</source>
        <translation>Escriba primero su nombre de usuario.</translation>
    </message>
    <message>
        <source>Your user name looks like name@institution.</source>
        <translation>Su nombre de usuario tiene la forma nombre@institución.</translation>
    </message>
    <message>
        <source>Type your password.</source>
        <translation>Escriba su contraseña.</translation>
    </message>
    <message>
        <source>The terminal refused the power action.</source>
        <translation>El terminal rechazó la acción de energía.</translation>
    </message>
    <message>
        <source>Your institution did not accept this user name and password.</source>
        <translation>Su institución no aceptó este nombre de usuario y contraseña.</translation>
    </message>
    <message>
        <source>The user name must include your institution, like name@university.edu.</source>
        <translation>El nombre de usuario debe incluir su institución, como nombre@universidad.edu.</translation>
    </message>
    <message>
        <source>Your institution is not known here.</source>
        <translation>Su institución no es conocida aquí.</translation>
    </message>
    <message>
        <source>The institution &quot;%1&quot; is not known here.</source>
        <translation>La institución «%1» no es conocida aquí.</translation>
    </message>
    <message>
        <source>Your institution does not allow password logins on this network.</source>
        <translation>Su institución no permite iniciar sesión con contraseña en esta red.</translation>
    </message>
    <message>
        <source>This terminal cannot verify your institution&apos;s login server, so your password was not sent.</source>
        <translation>Este terminal no puede verificar el servidor de inicio de sesión de su institución, así que su contraseña no se envió.</translation>
    </message>
    <message>
        <source>Too many failed logins on this terminal.</source>
        <translation>Demasiados inicios de sesión fallidos en este terminal.</translation>
    </message>
    <message>
        <source>This terminal&apos;s settings for your institution have expired.</source>
        <translation>La configuración de este terminal para su institución ha caducado.</translation>
    </message>
    <message>
        <source>Tell the lab staff: the eduroam CAT database needs an update.</source>
        <translation>Avise al personal del laboratorio: la base de datos de eduroam CAT necesita una actualización.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server showed a certificate this terminal does not trust, so your password was not sent.</source>
        <translation>El servidor de inicio de sesión de su institución mostró un certificado en el que este terminal no confía, así que su contraseña no se envió.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server answered with an unexpected name, so your password was not sent.</source>
        <translation>El servidor de inicio de sesión de su institución respondió con un nombre inesperado, así que su contraseña no se envió.</translation>
    </message>
    <message>
        <source>This terminal has no network: no cable is connected and no Wi-Fi is available.</source>
        <translation>Este terminal no tiene red: no hay ningún cable conectado ni Wi-Fi disponible.</translation>
    </message>
    <message>
        <source>The network did not answer in time.</source>
        <translation>La red no respondió a tiempo.</translation>
    </message>
    <message>
        <source>The network service of this terminal is not running.</source>
        <translation>El servicio de red de este terminal no está en ejecución.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer: its login server did not decide in time. The network here works.</source>
        <translation>Su institución tarda en responder: su servidor de inicio de sesión no decidió a tiempo. La red de aquí funciona.</translation>
    </message>
    <message>
        <source>Wait a few minutes and try again; if it keeps happening, tell the lab staff (reason %1).</source>
        <translation>Espere unos minutos y vuelva a intentarlo; si sigue ocurriendo, avise al personal del laboratorio (motivo %1).</translation>
    </message>
    <message>
        <source>Your disk of this system was made on an older version of it and cannot be used any more: it is kept aside (the lab staff can recover your files from it) and you start on a new disk.</source>
        <translation>Su disco de este sistema se creó sobre una versión anterior y ya no puede usarse: se ha guardado aparte (el personal del laboratorio puede recuperar sus archivos) y empieza con un disco nuevo.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer… still waiting.</source>
        <translation>Su institución tarda en responder… seguimos esperando.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login method cannot be checked safely on this terminal&apos;s network cable, so your password was not sent.</source>
        <translation>El método de inicio de sesión de su institución no se puede comprobar de forma segura en el cable de red de este terminal, así que su contraseña no se envió.</translation>
    </message>
    <message>
        <source>Use a terminal on Wi-Fi, or tell the lab staff (reason %1).</source>
        <translation>Use un terminal con Wi-Fi o avise al personal del laboratorio (motivo %1).</translation>
    </message>
    <message>
        <source>The network connection failed.</source>
        <translation>La conexión de red falló.</translation>
    </message>
    <message>
        <source>The chosen system is not offered on this terminal.</source>
        <translation>El sistema elegido no se ofrece en este terminal.</translation>
    </message>
    <message>
        <source>The chosen system cannot be started right now.</source>
        <translation>El sistema elegido no se puede iniciar ahora.</translation>
    </message>
    <message>
        <source>This terminal does not have enough disk space for your system.</source>
        <translation>Este terminal no tiene suficiente espacio en disco para su sistema.</translation>
    </message>
    <message>
        <source>Your disk could not be prepared.</source>
        <translation>No se pudo preparar su disco.</translation>
    </message>
    <message>
        <source>Your disk is still in use by a system that is running.</source>
        <translation>Su disco todavía está en uso por un sistema en ejecución.</translation>
    </message>
    <message>
        <source>The system could not be started.</source>
        <translation>No se pudo iniciar el sistema.</translation>
    </message>
    <message>
        <source>The system stopped unexpectedly.</source>
        <translation>El sistema se detuvo inesperadamente.</translation>
    </message>
    <message>
        <source>This terminal&apos;s hardware does not match its configuration.</source>
        <translation>El hardware de este terminal no coincide con su configuración.</translation>
    </message>
    <message>
        <source>This terminal does not have enough reserved memory to start the system.</source>
        <translation>Este terminal no tiene suficiente memoria reservada para iniciar el sistema.</translation>
    </message>
    <message>
        <source>This terminal must restart before the next login.</source>
        <translation>Este terminal debe reiniciarse antes del próximo inicio de sesión.</translation>
    </message>
    <message>
        <source>This terminal&apos;s model is not set up to start systems.</source>
        <translation>El modelo de este terminal no está configurado para iniciar sistemas.</translation>
    </message>
    <message>
        <source>The login was cancelled.</source>
        <translation>Se canceló el inicio de sesión.</translation>
    </message>
    <message>
        <source>Another login is in progress on this terminal.</source>
        <translation>Hay otro inicio de sesión en curso en este terminal.</translation>
    </message>
    <message>
        <source>The login service of this terminal is not running.</source>
        <translation>El servicio de inicio de sesión de este terminal no está en ejecución.</translation>
    </message>
    <message>
        <source>The login service sent an answer the login screen does not understand.</source>
        <translation>El servicio de inicio de sesión envió una respuesta que la pantalla de inicio de sesión no entiende.</translation>
    </message>
    <message>
        <source>This terminal&apos;s configuration is broken.</source>
        <translation>La configuración de este terminal está dañada.</translation>
    </message>
    <message>
        <source>Something went wrong on this terminal.</source>
        <translation>Algo salió mal en este terminal.</translation>
    </message>
    <message>
        <source>The login failed (reason %1).</source>
        <translation>El inicio de sesión falló (motivo %1).</translation>
    </message>
    <message>
        <source>Please tell the lab staff (reason %1).</source>
        <translation>Avise al personal del laboratorio (motivo %1).</translation>
    </message>
    <message>
        <source>Check both and try again. Mind Caps Lock and the keyboard layout.</source>
        <translation>Compruebe ambos y vuelva a intentarlo. Atención a Bloq Mayús y a la distribución del teclado.</translation>
    </message>
    <message>
        <source>Type your full user name and try again.</source>
        <translation>Escriba su nombre de usuario completo y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Check the part after @. If it is right, your institution may not take part in eduroam, or may not publish its realm in eduroam CAT: tell the lab staff.</source>
        <translation>Compruebe la parte después de la @. Si es correcta, puede que su institución no participe en eduroam o que no publique su dominio en eduroam CAT: avise al personal del laboratorio.</translation>
    </message>
    <message>
        <source>Ask your institution&apos;s helpdesk how to log in with a password.</source>
        <translation>Pregunte al soporte de su institución cómo iniciar sesión con contraseña.</translation>
    </message>
    <message>
        <source>Wait a little, then try again.</source>
        <translation>Espere un poco y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Wait a moment and try again.</source>
        <translation>Espere un momento y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Check the network cable, or tell the lab staff.</source>
        <translation>Compruebe el cable de red o avise al personal del laboratorio.</translation>
    </message>
    <message>
        <source>Choose another system, or tell the lab staff (reason %1).</source>
        <translation>Elija otro sistema o avise al personal del laboratorio (motivo %1).</translation>
    </message>
    <message>
        <source>Restart the terminal from the power menu.</source>
        <translation>Reinicie el terminal desde el menú de energía.</translation>
    </message>
    <message>
        <source>Looking up your institution…</source>
        <translation>Buscando su institución…</translation>
    </message>
    <message>
        <source>Connecting to the network (cable)…</source>
        <translation>Conectando a la red (cable)…</translation>
    </message>
    <message>
        <source>Connecting to the network (Wi-Fi)…</source>
        <translation>Conectando a la red (Wi-Fi)…</translation>
    </message>
    <message>
        <source>Checking your password with your institution…</source>
        <translation>Comprobando su contraseña con su institución…</translation>
    </message>
    <message>
        <source>Preparing your disk…</source>
        <translation>Preparando su disco…</translation>
    </message>
    <message>
        <source>Starting the system…</source>
        <translation>Iniciando el sistema…</translation>
    </message>
    <message>
        <source>Starting %1…</source>
        <translation>Iniciando %1…</translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation>Iniciando sesión…</translation>
    </message>
    <message numerus="yes">
        <source>You can try again in %n second(s).</source>
        <translation>
            <numerusform>Puede volver a intentarlo en %n segundo.</numerusform>
            <numerusform>Puede volver a intentarlo en %n segundos.</numerusform>
        </translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nombre de usuario</translation>
    </message>
    <message>
        <source>name@institution</source>
        <translation>nombre@institución</translation>
    </message>
    <message>
        <source>It restarts by itself; this screen connects again when it is back.</source>
        <translation>Se reinicia solo; esta pantalla se vuelve a conectar cuando vuelva.</translation>
    </message>
    <message>
        <source>your institution</source>
        <translation>su institución</translation>
    </message>
    <message>
        <source>Help from %1: %2</source>
        <translation>Ayuda de %1: %2</translation>
    </message>
</context>
<context>
    <name>sdvm::UserModel</name>
    <message>
        <source>Network account</source>
        <translation>Cuenta de red</translation>
    </message>
</context>
</TS>
