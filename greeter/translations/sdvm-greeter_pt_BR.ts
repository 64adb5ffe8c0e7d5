<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR">
<context>
    <name>Fallback</name>
    <message>
        <source>The login screen&apos;s theme cannot be shown, so this built-in one is used. Please tell the lab staff.</source>
        <translation>O tema da tela de login não pode ser exibido, então este tema embutido está em uso. Avise a equipe do laboratório.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Log in with your institution&apos;s account (eduroam).</source>
        <translation>Entre com a conta da sua instituição (eduroam).</translation>
    </message>
    <message>
        <source>For example: name@university.edu</source>
        <translation>Por exemplo: nome@universidade.edu.br</translation>
    </message>
    <message>
        <source>Choose a system</source>
        <translation>Escolha um sistema</translation>
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
        <translation>Caps Lock está ativado</translation>
    </message>
    <message>
        <source>Layout</source>
        <translation>Teclado</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Entrar</translation>
    </message>
    <message>
        <source>Login failed</source>
        <translation>Falha no login</translation>
    </message>
    <message>
        <source>Login succeeded</source>
        <translation>Login realizado</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Senha</translation>
    </message>
    <message>
        <source>Type your password</source>
        <translation>Digite sua senha</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>Alterar senha</translation>
    </message>
    <message>
        <source>Type your user name and password</source>
        <translation>Digite seu nome de usuário e sua senha</translation>
    </message>
    <message>
        <source>Select your account and type your password</source>
        <translation>Selecione sua conta e digite sua senha</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nome de usuário</translation>
    </message>
    <message>
        <source>Type your user name</source>
        <translation>Digite seu nome de usuário</translation>
    </message>
    <message>
        <source>Show password</source>
        <translation>Mostrar senha</translation>
    </message>
    <message>
        <source>Hide password</source>
        <translation>Ocultar senha</translation>
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
        <translation>Desligar</translation>
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
        <translation>Bem-vindo(a) a %1</translation>
    </message>
    <message>
        <source>Too many failed attempts</source>
        <translation>Tentativas malsucedidas demais</translation>
    </message>
    <message>
        <source>Too many failed attempts: please wait before trying again</source>
        <translation>Tentativas malsucedidas demais: aguarde antes de tentar de novo</translation>
    </message>
</context>
<context>
    <name>sdvm::GreeterApp</name>
    <message>
        <source>The login screen&apos;s theme failed to start several times, so the built-in one is shown.</source>
        <translation>O tema da tela de login falhou ao iniciar várias vezes, então o tema embutido é exibido.</translation>
    </message>
    <message>
        <source>%1: the theme&apos;s root object is not an Item</source>
        <translation>%1: o objeto raiz do tema não é um Item</translation>
    </message>
</context>
<context>
    <name>sdvm::SessionModel</name>
    <message>
        <source>%1 (unavailable)</source>
        <translation>%1 (indisponível)</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is missing on this terminal.</source>
        <translation>O arquivo de disco da imagem não está neste terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file cannot be read on this terminal.</source>
        <translation>O arquivo de disco da imagem não pode ser lido neste terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is not a disk image SDVM can start.</source>
        <translation>O arquivo de disco da imagem não é uma imagem de disco que o SDVM consegue iniciar.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file is damaged.</source>
        <translation>O arquivo de disco da imagem está danificado.</translation>
    </message>
    <message>
        <source>The image&apos;s disk file uses features SDVM cannot start.</source>
        <translation>O arquivo de disco da imagem usa recursos com os quais o SDVM não consegue iniciar.</translation>
    </message>
    <message>
        <source>The image has no description on this terminal.</source>
        <translation>A imagem não tem descrição neste terminal.</translation>
    </message>
    <message>
        <source>The image&apos;s description on this terminal is invalid.</source>
        <translation>A descrição da imagem neste terminal é inválida.</translation>
    </message>
    <message>
        <source>This image cannot be started on this terminal.</source>
        <translation>Esta imagem não pode ser iniciada neste terminal.</translation>
    </message>
</context>
<context>
    <name>sdvm::StatusController</name>
    <message>
        <source>Type your user name first.</source>
        <translation>Digite primeiro seu nome de usuário.</translation>
    </message>
    <message>
        <source>Your user name looks like name@institution.</source>
        <translation>Seu nome de usuário tem a forma nome@instituição.</translation>
    </message>
    <message>
        <source>Type your password.</source>
        <translation>Digite sua senha.</translation>
    </message>
    <message>
        <source>The terminal refused the power action.</source>
        <translation>O terminal recusou a ação de energia.</translation>
    </message>
    <message>
        <source>Your institution did not accept this user name and password.</source>
        <translation>Sua instituição não aceitou este nome de usuário e senha.</translation>
    </message>
    <message>
        <source>The user name must include your institution, like name@university.edu.</source>
        <translation>O nome de usuário deve incluir sua instituição, como nome@universidade.edu.br.</translation>
    </message>
    <message>
        <source>Your institution is not known here.</source>
        <translation>Sua instituição não é conhecida aqui.</translation>
    </message>
    <message>
        <source>The institution &quot;%1&quot; is not known here.</source>
        <translation>A instituição &quot;%1&quot; não é conhecida aqui.</translation>
    </message>
    <message>
        <source>Your institution does not allow password logins on this network.</source>
        <translation>Sua instituição não permite login com senha nesta rede.</translation>
    </message>
    <message>
        <source>This terminal cannot verify your institution&apos;s login server, so your password was not sent.</source>
        <translation>Este terminal não consegue verificar o servidor de login da sua instituição, por isso sua senha não foi enviada.</translation>
    </message>
    <message>
        <source>Too many failed logins on this terminal.</source>
        <translation>Logins malsucedidos demais neste terminal.</translation>
    </message>
    <message>
        <source>This terminal&apos;s settings for your institution have expired.</source>
        <translation>As configurações deste terminal para sua instituição expiraram.</translation>
    </message>
    <message>
        <source>Tell the lab staff: the eduroam CAT database needs an update.</source>
        <translation>Avise a equipe do laboratório: o banco de dados do eduroam CAT precisa ser atualizado.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server showed a certificate this terminal does not trust, so your password was not sent.</source>
        <translation>O servidor de login da sua instituição apresentou um certificado em que este terminal não confia, por isso sua senha não foi enviada.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login server answered with an unexpected name, so your password was not sent.</source>
        <translation>O servidor de login da sua instituição respondeu com um nome inesperado, por isso sua senha não foi enviada.</translation>
    </message>
    <message>
        <source>This terminal has no network: no cable is connected and no Wi-Fi is available.</source>
        <translation>Este terminal está sem rede: nenhum cabo está conectado e não há Wi-Fi disponível.</translation>
    </message>
    <message>
        <source>The network did not answer in time.</source>
        <translation>A rede não respondeu a tempo.</translation>
    </message>
    <message>
        <source>The network service of this terminal is not running.</source>
        <translation>O serviço de rede deste terminal não está em execução.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer: its login server did not decide in time. The network here works.</source>
        <translation>Sua instituição está demorando a responder: o servidor de login dela não decidiu a tempo. A rede daqui funciona.</translation>
    </message>
    <message>
        <source>Wait a few minutes and try again; if it keeps happening, tell the lab staff (reason %1).</source>
        <translation>Espere alguns minutos e tente de novo; se continuar acontecendo, avise a equipe do laboratório (motivo %1).</translation>
    </message>
    <message>
        <source>Your disk of this system was made on an older version of it and cannot be used any more: it is kept aside (the lab staff can recover your files from it) and you start on a new disk.</source>
        <translation>O seu disco deste sistema foi feito sobre uma versão anterior dele e não pode mais ser usado: ele foi guardado à parte (a equipe do laboratório pode recuperar os seus arquivos) e você começa com um disco novo.</translation>
    </message>
    <message>
        <source>Your institution is slow to answer… still waiting.</source>
        <translation>Sua instituição está demorando a responder… ainda aguardando.</translation>
    </message>
    <message>
        <source>Your institution&apos;s login method cannot be checked safely on this terminal&apos;s network cable, so your password was not sent.</source>
        <translation>O método de login da sua instituição não pode ser verificado com segurança no cabo de rede deste terminal, por isso sua senha não foi enviada.</translation>
    </message>
    <message>
        <source>Use a terminal on Wi-Fi, or tell the lab staff (reason %1).</source>
        <translation>Use um terminal com Wi-Fi ou avise a equipe do laboratório (motivo %1).</translation>
    </message>
    <message>
        <source>The network connection failed.</source>
        <translation>A conexão de rede falhou.</translation>
    </message>
    <message>
        <source>The chosen system is not offered on this terminal.</source>
        <translation>O sistema escolhido não é oferecido neste terminal.</translation>
    </message>
    <message>
        <source>The chosen system cannot be started right now.</source>
        <translation>O sistema escolhido não pode ser iniciado agora.</translation>
    </message>
    <message>
        <source>This terminal does not have enough disk space for your system.</source>
        <translation>Este terminal não tem espaço em disco suficiente para o seu sistema.</translation>
    </message>
    <message>
        <source>Your disk could not be prepared.</source>
        <translation>Não foi possível preparar o seu disco.</translation>
    </message>
    <message>
        <source>Your disk is still in use by a system that is running.</source>
        <translation>Seu disco ainda está em uso por um sistema em execução.</translation>
    </message>
    <message>
        <source>The system could not be started.</source>
        <translation>Não foi possível iniciar o sistema.</translation>
    </message>
    <message>
        <source>The system stopped unexpectedly.</source>
        <translation>O sistema parou inesperadamente.</translation>
    </message>
    <message>
        <source>This terminal&apos;s hardware does not match its configuration.</source>
        <translation>O hardware deste terminal não corresponde à sua configuração.</translation>
    </message>
    <message>
        <source>This terminal does not have enough reserved memory to start the system.</source>
        <translation>Este terminal não tem memória reservada suficiente para iniciar o sistema.</translation>
    </message>
    <message>
        <source>This terminal must restart before the next login.</source>
        <translation>Este terminal precisa ser reiniciado antes do próximo login.</translation>
    </message>
    <message>
        <source>This terminal&apos;s model is not set up to start systems.</source>
        <translation>O modelo deste terminal não está configurado para iniciar sistemas.</translation>
    </message>
    <message>
        <source>The login was cancelled.</source>
        <translation>O login foi cancelado.</translation>
    </message>
    <message>
        <source>Another login is in progress on this terminal.</source>
        <translation>Outro login está em andamento neste terminal.</translation>
    </message>
    <message>
        <source>The login service of this terminal is not running.</source>
        <translation>O serviço de login deste terminal não está em execução.</translation>
    </message>
    <message>
        <source>The login service sent an answer the login screen does not understand.</source>
        <translation>O serviço de login enviou uma resposta que a tela de login não entende.</translation>
    </message>
    <message>
        <source>This terminal&apos;s configuration is broken.</source>
        <translation>A configuração deste terminal está com defeito.</translation>
    </message>
    <message>
        <source>Something went wrong on this terminal.</source>
        <translation>Algo deu errado neste terminal.</translation>
    </message>
    <message>
        <source>The login failed (reason %1).</source>
        <translation>O login falhou (motivo %1).</translation>
    </message>
    <message>
        <source>Please tell the lab staff (reason %1).</source>
        <translation>Avise a equipe do laboratório (motivo %1).</translation>
    </message>
    <message>
        <source>Check both and try again. Mind Caps Lock and the keyboard layout.</source>
        <translation>Confira os dois e tente de novo. Atenção ao Caps Lock e ao layout do teclado.</translation>
    </message>
    <message>
        <source>Type your full user name and try again.</source>
        <translation>Digite seu nome de usuário completo e tente de novo.</translation>
    </message>
    <message>
        <source>Check the part after @. If it is right, your institution may not take part in eduroam, or may not publish its realm in eduroam CAT: tell the lab staff.</source>
        <translation>Confira a parte depois do @. Se estiver certa, talvez sua instituição não participe do eduroam ou não publique seu domínio no eduroam CAT: avise a equipe do laboratório.</translation>
    </message>
    <message>
        <source>Ask your institution&apos;s helpdesk how to log in with a password.</source>
        <translation>Pergunte ao suporte da sua instituição como entrar com senha.</translation>
    </message>
    <message>
        <source>Wait a little, then try again.</source>
        <translation>Aguarde um pouco e tente de novo.</translation>
    </message>
    <message>
        <source>Wait a moment and try again.</source>
        <translation>Aguarde um momento e tente de novo.</translation>
    </message>
    <message>
        <source>Check the network cable, or tell the lab staff.</source>
        <translation>Confira o cabo de rede ou avise a equipe do laboratório.</translation>
    </message>
    <message>
        <source>Choose another system, or tell the lab staff (reason %1).</source>
        <translation>Escolha outro sistema ou avise a equipe do laboratório (motivo %1).</translation>
    </message>
    <message>
        <source>Restart the terminal from the power menu.</source>
        <translation>Reinicie o terminal pelo menu de energia.</translation>
    </message>
    <message>
        <source>Looking up your institution…</source>
        <translation>Procurando sua instituição…</translation>
    </message>
    <message>
        <source>Connecting to the network (cable)…</source>
        <translation>Conectando à rede (cabo)…</translation>
    </message>
    <message>
        <source>Connecting to the network (Wi-Fi)…</source>
        <translation>Conectando à rede (Wi-Fi)…</translation>
    </message>
    <message>
        <source>Checking your password with your institution…</source>
        <translation>Verificando sua senha com sua instituição…</translation>
    </message>
    <message>
        <source>Preparing your disk…</source>
        <translation>Preparando seu disco…</translation>
    </message>
    <message>
        <source>Starting the system…</source>
        <translation>Iniciando o sistema…</translation>
    </message>
    <message>
        <source>Starting %1…</source>
        <translation>Iniciando %1…</translation>
    </message>
    <message>
        <source>Logging in…</source>
        <translation>Entrando…</translation>
    </message>
    <message numerus="yes">
        <source>You can try again in %n second(s).</source>
        <translation>
            <numerusform>Você pode tentar de novo em %n segundo.</numerusform>
            <numerusform>Você pode tentar de novo em %n segundos.</numerusform>
        </translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nome de usuário</translation>
    </message>
    <message>
        <source>name@institution</source>
        <translation>nome@instituição</translation>
    </message>
    <message>
        <source>It restarts by itself; this screen connects again when it is back.</source>
        <translation>Ele reinicia sozinho; esta tela se conecta de novo quando ele voltar.</translation>
    </message>
    <message>
        <source>your institution</source>
        <translation>sua instituição</translation>
    </message>
    <message>
        <source>Help from %1: %2</source>
        <translation>Ajuda de %1: %2</translation>
    </message>
</context>
<context>
    <name>sdvm::UserModel</name>
    <message>
        <source>Network account</source>
        <translation>Conta de rede</translation>
    </message>
</context>
</TS>
