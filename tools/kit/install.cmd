@echo off
rem SMTP Observer lab kit: install Pillow for this user from the wheels folder, offline and
rem without administrator rights. Double-click once on each PC, then "SMTP Observer.pyw".
rem build_kit.py writes this file as UTF-8 without a BOM and with CRLF line ends: the code
rem page becomes 65001 before the first Chinese line, and is set back at the end.
setlocal
set "KIT_OLD_CP="
for /f "tokens=2 delims=:" %%p in ('chcp') do set /a "KIT_OLD_CP=%%p" >nul 2>nul
chcp 65001 >nul
rem pushd, not cd: it also works when the kit is opened from a network share (\\server\...).
pushd "%~dp0"
set "KIT_RC=1"

rem Run it rather than look for it: "py" without any Python 3 behind it fails here too.
py -3 --version >nul 2>nul
if errorlevel 1 goto no_python
py -3 -c "import sys; raise SystemExit(sys.version_info < (3, 10))" >nul 2>nul
if errorlevel 1 goto old_python

echo 正在为当前用户安装 Pillow（来自 wheels 文件夹，不需要联网，也不需要管理员权限）……
echo Installing Pillow for this user from the wheels folder (no internet, no administrator)...
py -3 -m pip install --user --no-index --find-links wheels -r requirements.txt
if errorlevel 1 goto pip_failed
py -3 -c "import PIL.Image" >nul 2>nul
if errorlevel 1 goto pip_failed
py -3 -c "import tkinter" >nul 2>nul
if errorlevel 1 goto no_tkinter

echo.
echo 安装完成。双击“SMTP Observer.pyw”打开观察器的窗口。
echo Done. Double-click "SMTP Observer.pyw" to open the observer's window.
set "KIT_RC=0"
goto end

:no_python
echo 没有找到 Python 启动器 py。请从 python.org 下载 Python 3.10 或更新版本的 Windows 安装程序，
echo 安装时保持勾选 "py launcher" 和 "tcl/tk and IDLE"（不需要管理员权限），然后再双击 install.cmd。
echo.
echo The Python launcher "py" was not found. Install Python 3.10 or newer from python.org
echo (the Windows installer), keep "py launcher" and "tcl/tk and IDLE" ticked (no administrator
echo rights needed), then double-click install.cmd again.
goto end

:old_python
echo py 启动的 Python 太旧：SMTP 观察器需要 Python 3.10 或更新版本（从 python.org 安装）。
echo The Python that "py" starts is too old: SMTP Observer needs Python 3.10 or newer (python.org).
py -3 --version
goto end

:pip_failed
echo.
echo 没能安装 Pillow。wheels 文件夹里有 Python @OLDEST@ 到 @NEWEST@（64 位和 32 位）的 Pillow；
echo 更新的 Python 请联网后运行：py -m pip install --user Pillow
echo Pillow could not be installed. The wheels folder holds Pillow for Python @OLDEST@ to @NEWEST@
echo (64-bit and 32-bit); for a newer Python, with internet: py -m pip install --user Pillow
py -3 --version
goto end

:no_tkinter
echo.
echo Pillow 已安装，但这个 Python 没有 tkinter，观察器的窗口打不开：重新运行 Python 安装程序，
echo 选择 "Modify"，勾选 "tcl/tk and IDLE"。在那之前只能在命令行中使用：py smtp_observer.pyz --no-gui
echo Pillow is installed, but this Python has no tkinter, so the window cannot open: run the
echo Python installer again, choose "Modify" and tick "tcl/tk and IDLE". Until then use the
echo command line: py smtp_observer.pyz --no-gui
goto end

:end
popd
echo.
pause
if defined KIT_OLD_CP chcp %KIT_OLD_CP% >nul
exit /b %KIT_RC%
