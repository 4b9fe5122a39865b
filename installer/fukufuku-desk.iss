; Inno Setup 6 script: the Windows installer of Fukufuku Desk (ふくふくデスク).
;
; Build on Windows, after `pyinstaller --noconfirm --clean installer\fukufuku-desk.spec --distpath dist
; --workpath build\pyinstaller` has made dist\FukufukuDesk\ (see installer\README.md):
;
;   iscc /DAppVersion=0.1.0 installer\fukufuku-desk.iss
;
; Output: dist\installer\FukufukuDesk-Setup-<version>.exe
;
; USER DATA IS KEPT ON UNINSTALL. The database (SQLite), backups and settings live in
; %LOCALAPPDATA%\fukufuku-desk (booking_app/config.py, platformdirs) and the window layout in the registry
; under HKCU\Software\fukufuku. This script never lists them in [UninstallDelete] or [Registry] with an
; uninsdelete flag: the uninstaller removes only what [Files] installed, so bookings, groups and receipts
; survive an uninstall or a reinstall of a new version. The uninstall message below says so in Japanese.

#ifndef AppVersion
  ; The build passes the version from booking_app/__init__.py (__version__): /DAppVersion=x.y.z
  #define AppVersion "0.1.0"
#endif
#define AppName "ふくふくデスク"
#define AppExeName "FukufukuDesk.exe"
#define AppPublisher "しものせき市民活動センター"
#define SourceDir "..\dist\FukufukuDesk"

[Setup]
; The AppId identifies this app across versions (upgrades install over it): never change it.
AppId={{4FF4855B-43F5-4968-A4B6-57B70556CE4A}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={autopf}\FukufukuDesk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExeName}
SetupIconFile=..\resources\icons\fukufuku-desk.ico
LicenseFile=..\resources\fonts\IPA_Font_License_Agreement_v1.0.txt
OutputDir=..\dist\installer
OutputBaseFilename=FukufukuDesk-Setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Per-machine install (all staff accounts on the desk PC); admin rights are asked for once.
PrivilegesRequired=admin
CloseApplications=yes

[Languages]
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[CustomMessages]
japanese.KeepUserData=ふくふくデスクをアンインストールします。%n%n予約・団体・領収書などのデータ（%1）は削除されずに残ります。再インストールすると、そのまま使えます。データも消す場合は、アンインストール後にこのフォルダーを手動で削除してください。%n%n続けますか？

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder build: FukufukuDesk.exe and its _internal\ folder.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section on purpose: see the note at the top (user data is kept).

[Code]
function InitializeUninstall(): Boolean;
begin
  // Tell the person uninstalling that the data stays, and where; a silent uninstall just proceeds.
  if UninstallSilent() then
    Result := True
  else
    Result := MsgBox(FmtMessage(CustomMessage('KeepUserData'), [ExpandConstant('{localappdata}\fukufuku-desk')]),
                     mbConfirmation, MB_YESNO) = IDYES;
end;
